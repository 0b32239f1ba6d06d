#pragma once
// Checkpoints (DESIGN "Checkpoints"): one .safetensors file holding the
// parameters under PyTorch's names, the AdamW moments under optim.m.<name> /
// optim.v.<name>, the --ema average under ema.<name>, the --l2sp anchor under
// anchor.<name>, and __metadata__ with the model config, vocabulary, styles,
// training settings and state, the --base-rows-lr tokens, the training names (for --novel and exact
// resume), the lineage of a fine-tuned model, a format version and a CRC-32
// of the data section, continued over the rest of the header so that damage
// anywhere is caught. This is the schema (what the tensors and metadata
// mean, src/store/checkpoint.cpp); the byte format is src/store/safetensors.cpp.
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "wuxia/data/names.hpp"
#include "wuxia/data/vocab.hpp"
#include "wuxia/model/params.hpp"
#include "wuxia/model/precision.hpp"
#include "wuxia/store/crc32.hpp"

namespace wuxia {

inline constexpr const char* kCheckpointFormat = "wuxia.checkpoint.v1";

// Everything that, with the names, fixes a training run's trajectory.
struct TrainSettings {
  int batch = 64;
  double lr = 3e-3;
  double weight_decay = 0.1;
  double clip = 1.0;
  int64_t warmup = -1;      // linear warm-up steps; -1 = min(100, steps/10)
  int64_t decay_steps = 0;  // cosine decay horizon; after it lr stays at lr * min_lr_ratio
  double min_lr_ratio = 0.1;
  uint64_t seed = 1;
  // Issue 23's levers, both 0 (off) by default; stored only when on, so a
  // checkpoint without them reads as off.
  double ema = 0;   // decay of the parameter average (--ema); 0 = none kept
  double l2sp = 0;  // pull toward the starting weights (--l2sp), replacing weight_decay; 0 = off
  // The learning rate's factor for the rows a fine-tune's base learnt
  // (--base-rows-lr, in (0, 1]); 1 = off, stored only when below 1.
  double base_rows_lr = 1;
  // The factor for the START tokens of the styles new to a fine-tune
  // (--new-styles-lr, 1 or more); 1 = off, stored only when above 1. Both
  // factors mark rows through one mask (Model::set_marked_rows): one at a time.
  double new_styles_lr = 1;
  // Each epoch repeats every style's training names about as many times as
  // the largest style has names (--balance-styles), so that a small cast
  // weighs as much as a large one; off by default, stored only when on.
  bool balance_styles = false;
  // With balance_styles: a style's repetition ends once its own validation
  // loss has not improved for this many evaluations (--balance-patience;
  // TrainState::styles), so that a small cast repeated three times an epoch
  // stops being learnt faster than the rest once it starts to overfit. 0 =
  // off (repeated to the end); stored only when on.
  int64_t balance_patience = 0;
  // best.safetensors holds the weights of the last evaluation rather than of
  // the one with the lowest validation loss, and no evaluation counts
  // toward --patience (--keep-last): a fine-tune whose styles turn at
  // different steps keeps its end (docs/QUALITY.md). Off by default; stored
  // only when on.
  bool keep_last = false;
  // AWD-LSTM's regularisers (issue 29): drop probabilities in [0, 1), 0 (off)
  // by default and stored only when on (StepOptions says where each applies).
  double weight_drop = 0;     // --weight-drop
  double locked_dropout = 0;  // --locked-dropout
  double embed_dropout = 0;   // --embed-dropout
  // The GEMMs' arithmetic (--precision; Model::set_precision): FP32 by
  // default and stored only when bf16, so resume keeps it and an FP32 run
  // writes the bytes it wrote before. The tensors are FP32 either way.
  Precision precision = Precision::kFp32;

  // Throws wuxia::Error for the first value out of range, naming the field
  // as `name(key)` spells it for the reader: a flag (--weight-decay) for the
  // command line, the checkpoint's field for a file. Keys: batch, lr,
  // weight_decay, clip, warmup, decay_steps, ema, l2sp, base_rows_lr, new_styles_lr,
  // balance_patience, weight_drop, locked_dropout, embed_dropout.
  void validate(const std::function<std::string(const std::string& key)>& name) const;
  // The flag that sets `key`: "--" and the key with '-' for '_'.
  static std::string flag(const std::string& key);
};

struct TrainState {
  int64_t step = 0;  // optimizer steps taken
  int64_t epoch = 0;
  double best_val_loss = std::numeric_limits<double>::infinity();
  int64_t best_step = 0;
  int64_t evals_since_best = 0;  // evaluations since the best one (--patience counts them)
  // One per style with settings.balance_patience on (empty otherwise, and
  // then not stored): its own validation loss's best, the evaluations since,
  // and whether its names are still repeated (TrainSettings::balance_styles).
  struct Style {
    double best_val_loss = std::numeric_limits<double>::infinity();
    int64_t evals_since_best = 0;
    bool repeated = true;
  };
  std::vector<Style> styles;
};

// A checkpoint a model was initialised from (train --init).
struct Ancestor {
  std::string file;      // its file name, as given to --init
  std::string checksum;  // its metadata checksum ("crc32c:...", "crc32:..." before), which covers the whole file
  int64_t step = 0;      // the step it had reached
  bool operator==(const Ancestor& o) const { return file == o.file && checksum == o.checksum && step == o.step; }
};

struct Checkpoint {
  ModelConfig config;
  std::vector<std::string> styles;
  std::vector<char32_t> chars;  // the vocabulary's characters, sorted
  TrainSettings settings;
  TrainState state;
  std::vector<float> params;          // flat, ParamLayout order
  std::vector<float> adam_m, adam_v;  // same layout; empty when not saved
  // Training state of the levers, same layout; empty when off (and in a
  // best.safetensors written with --ema, whose params are the average):
  std::vector<float> average;  // the --ema average, tensors ema.<name>
  std::vector<float> anchor;   // the weights --l2sp pulls toward, tensors anchor.<name>
  // [V], 1 for a token the --init base had (END, the base's styles' START
  // tokens, its characters), 0 for a new one; metadata base_rows. Empty
  // unless --base-rows-lr is below 1.
  std::vector<uint8_t> base_rows;
  // Training and validation names per style (index = style).
  std::vector<std::vector<std::u32string>> train_names, val_names;
  // What this model was initialised from: the base first, then the base's
  // own lineage. Empty for a model trained from scratch.
  std::vector<Ancestor> lineage;
  // The stored checksum, as loaded (empty in a checkpoint never saved).
  std::string checksum;

  Vocab vocab() const { return Vocab(styles, chars); }
  // The style commands use when none is given: the first one this model
  // was trained on (a fine-tuned model also keeps its base's styles).
  int default_style() const;
  // Its training and validation names, to label samples and for --novel.
  NameSets known_names() const;
};

// Writes atomically: a temporary file in the same folder, flushed and synced,
// renamed over `path`. On any failure `path` is untouched and wuxia::Error says why.
void save_checkpoint(const std::string& path, const Checkpoint& ck);

// Removes the temporary files that checkpoint writes killed mid-way left in
// `dir` (save_checkpoint names them; nothing else does), sparing any a live
// process is still writing; returns how many.
std::size_t remove_interrupted_writes(const std::string& dir);

// Reads and validates everything, the optimizer moments included (resume,
// init): the whole file, checked whole. wuxia::Error names what is wrong.
// Only a regular file is read (a FIFO or /dev/zero is refused at once), and
// the header length is checked against the file's size before it is read.
Checkpoint load_checkpoint(const std::string& path);
// The same on a file's bytes already in memory (read in place, not copied);
// `path` names it in errors.
Checkpoint parse_checkpoint(std::string_view bytes, const std::string& path);
// What a model needs to run (the commands that only infer, through
// cli::load_model): everything but the optimizer moments (adam_m, adam_v
// stay empty), reading only the header and the parameters, which the
// prefix checksum covers together (DESIGN "Checkpoints"). A file written
// before that checksum is read and checked whole. `with_names` false leaves
// the training and validation names out (a base to fine-tune from needs
// only its weights and vocabulary).
Checkpoint load_checkpoint_for_inference(const std::string& path, bool with_names = true);
// The metadata alone, from the header: config, vocabulary, settings, state,
// lineage and checksum; no tensors, no names. Checked field by field but not
// against a checksum (that needs the data): for decisions about a file (the
// default route's base: its step, its characters), never to run a model.
Checkpoint peek_checkpoint(const std::string& path);

}  // namespace wuxia
