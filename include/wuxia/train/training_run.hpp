#pragma once
// One training run: its names, vocabulary, model, batches, schedule and
// state, opened fresh, resumed from a checkpoint, or initialised from one
// (fine-tuning). `wuxia train` (src/train/trainer.cpp), `bench`, `verify` and
// scripts/classify_cv.cpp all drive one, so each times or checks exactly the
// steps that training takes.
#include <cstdint>
#include <iosfwd>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "wuxia/data/batch.hpp"
#include "wuxia/data/names.hpp"
#include "wuxia/model/backend.hpp"
#include "wuxia/model/model.hpp"
#include "wuxia/store/checkpoint.hpp"

namespace wuxia {

inline constexpr int64_t kDefaultSteps = 1500;

struct TrainOptions {
  std::vector<DataSpec> data;  // one per style
  std::string val_path;        // explicit validation file ("" = split off the data)
  std::string out_dir = "runs/default";
  ModelConfig model;  // vocab is filled in from the data
  TrainSettings settings;
  int64_t steps = 0;  // total steps to reach; 0 = from epochs or the default
  double epochs = 0;
  int64_t eval_every = 250;
  int64_t log_every = 50;  // plain log lines (not on a terminal)
  int64_t patience = 0;    // stop after this many evaluations without a better val loss; 0 = never
  std::string resume;      // checkpoint to continue from (its names, config, settings, state)
  std::string init;        // checkpoint whose weights a new run starts from (fine-tuning)
  std::string convert;     // "", "t2s" or "s2t": OpenCC conversion of the names read
  // The flags the user gave that a resumed checkpoint also fixes ("seed",
  // "lr", ...; as on the command line, without "--"). On --resume a flag
  // whose value equals the checkpoint's is accepted; one that differs is an
  // error naming the flag and both values.
  std::vector<std::string> given;
  std::string metrics_path;  // JSON lines, appended
  bool overwrite = false;    // a fresh run may replace the model already in out_dir
  bool quiet = false;
  bool tty = false;  // redraw one progress line instead of printing log lines

  // Throws wuxia::Error naming the flag of the first value out of range or
  // the first pair of options that do not go together (steps, epochs and
  // the settings included).
  void validate() const;
};

// Learning rate at 1-based `step`: linear warm-up, cosine decay to
// lr * min_lr_ratio at decay_steps, constant after.
double learning_rate(const TrainSettings& s, int64_t step);
// Forward/backward options and AdamW arguments of 1-based training step `step`.
StepOptions train_step_options(const TrainSettings& s, int64_t step);
// (With --l2sp the pull toward the starting weights replaces weight decay.)
AdamWArgs adamw_args(const TrainSettings& s, int64_t step);
// The --ema decay of 1-based `step`: min(s.ema, (1 + step) / (10 + step)),
// the warm-up of TensorFlow's ExponentialMovingAverage, so that the average
// is not held back by the first, random-ish weights; 0 when off.
double ema_decay(const TrainSettings& s, int64_t step);

// The validation split: min(1000, 10%) of all names (at least one), chosen by
// a permutation keyed by the seed. Returns per-style train and val lists.
void split_names(const std::vector<NameFile>& files, uint64_t seed, std::vector<std::vector<std::u32string>>& train,
                 std::vector<std::vector<std::u32string>>& val);

// The training examples of per-style name lists; throws on a character
// outside the vocabulary.
std::vector<Example> encode_names(const Vocab& vocab, const std::vector<std::vector<std::u32string>>& names);

// A run's names per style (index = style), split into training and validation.
struct RunNames {
  std::vector<std::string> styles;
  std::vector<std::vector<std::u32string>> train, val;
};
// Reads o.data (and o.val_path), converts them (o.convert) and splits off the
// validation names (seeded by o.settings.seed) unless o.val_path gives them.
RunNames load_run_names(const TrainOptions& o, std::ostream& log);

class TrainingRun {
 public:
  // Opens the run `o` describes:
  //  - o.resume: the checkpoint's names, config, settings, optimizer state
  //    and schedule; steps continue from its step, bit for bit.
  //  - o.init: the checkpoint's weights, with the vocabulary grown to the
  //    union of its characters and styles and the new data's; new names,
  //    fresh AdamW state and schedule from step 0 (init_from_base() says how
  //    new rows start).
  //  - otherwise a fresh model on o.data.
  // Notes go to `log` unless o.quiet.
  TrainingRun(const TrainOptions& o, Backend<float>& backend, std::ostream& log);
  // A fresh or --init run on names already split (tools, tests).
  TrainingRun(const TrainOptions& o, RunNames names, Backend<float>& backend, std::ostream& log);

  Model<float>& model() { return *model_; }
  const Vocab& vocab() const { return vocab_; }
  // Config, styles, names, settings, state and lineage; the parameters in it
  // are those of the last snapshot(), or of the start.
  const Checkpoint& checkpoint() const { return ck_; }
  const TrainSettings& settings() const { return ck_.settings; }
  int64_t step() const { return ck_.state.step; }  // steps taken
  int64_t total_steps() const { return total_; }   // the step the run trains to
  bool resumed() const { return resumed_; }
  std::size_t batches_per_epoch() const { return batcher_->batches_per_epoch(); }
  const std::vector<Example>& train_examples() const { return train_ex_; }
  const std::vector<Example>& val_examples() const { return val_ex_; }
  int eval_batch() const { return eval_batch_; }

  // The batch of 1-based step `step`: a pure function of the names, batch
  // size, seed and step, so a resumed run sees what an uninterrupted one would.
  Batch batch(int64_t step) { return batcher_->batch(static_cast<uint64_t>(step - 1)); }
  // Takes step step() + 1 on `b`, which must be batch(step() + 1): forward,
  // backward, clipping and AdamW, without waiting for the device.
  void take_step(const Batch& b);
  void take_step() { take_step(batch(step() + 1)); }

  // The losses of the steps taken since the last call, read back from the
  // device (which waits for it). Throws wuxia::Error naming the first step
  // whose loss is not finite (the checkpoints are untouched: nothing is
  // saved before its steps' losses were read).
  struct Losses {
    double nll = 0;  // summed over the steps' target tokens
    std::size_t tokens = 0;
    std::size_t steps = 0;
    double first = std::numeric_limits<double>::quiet_NaN();  // mean NLL of the first step read
    double last = std::numeric_limits<double>::quiet_NaN();   // and of the last
    double mean() const { return tokens ? nll / static_cast<double>(tokens) : last; }
  };
  Losses read_losses();

  // Mean NLL per token on the validation names (no dropout), of the
  // weights the run is judged by: the --ema average when kept.
  double evaluate();
  // evaluate(), then best/last bookkeeping: on a new best the state records
  // it and `best_path` is written (when not empty); `last_path` always (when
  // not empty). With --ema, best's parameters are the average that was
  // evaluated (and it holds no optimizer state: resume from last). Throws, writing nothing, on a non-finite loss.
  // With --keep-last every evaluation counts as improved (best is the
  // last). With --balance-patience, each repeated style's own validation
  // loss is taken too; `repetition_ended` names the styles whose repetition
  // ended here, and the next step draws from the new epoch's examples.
  struct Evaluation {
    double val_loss = 0;
    bool improved = false;
    int64_t evals_since_best = 0;
    std::vector<std::string> repetition_ended;
  };
  Evaluation evaluate_and_checkpoint(const std::string& best_path, const std::string& last_path);

  // The checkpoint of now: parameters, moments and the --ema average read
  // back from the model.
  const Checkpoint& snapshot();

  // Why recording the step failed, once, if it did ("" otherwise).
  const std::string& recording_error() const { return model_->recording_error(); }

 private:
  void open_names(const TrainOptions& o, RunNames names, std::ostream& log);  // fresh or --init
  void open_model(const TrainOptions& o, std::ostream& log);
  // train_ex_ from the training names, repeated as --balance-styles and the
  // state of --balance-patience say.
  void encode_training_names();
  // --balance-patience: the repeated styles' own validation losses, counted
  // against their best; returns the styles whose repetition ends now.
  std::vector<std::string> end_repetitions();
  double evaluate(const std::vector<Example>& names);  // as evaluate(), on these names
  Backend<float>& be_;
  Checkpoint ck_;
  Vocab vocab_;
  std::vector<Example> train_ex_, val_ex_;
  std::optional<Batcher> batcher_;
  std::unique_ptr<Model<float>> model_;
  int64_t total_ = 0;
  int eval_batch_ = 256;
  bool resumed_ = false;
  std::vector<std::size_t> pending_targets_;  // per step taken, not yet read back
};

// The checkpoint a fine-tuning run starts from: `base`'s weights in the
// union vocabulary of its characters and styles and `names`' (DESIGN
// "Tokens" order; existing rows move to their new ids), new rows the mean of
// their kind's existing rows, no optimizer state, step 0, `names` as its
// names, `settings` as its settings, and `base` recorded in its lineage.
// `base_file` is the name the lineage records.
Checkpoint init_from_base(const Checkpoint& base, const std::string& base_file, const RunNames& names,
                          const TrainSettings& settings, double dropout);

}  // namespace wuxia
