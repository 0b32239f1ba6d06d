#pragma once
// Checkpoints (DESIGN "Checkpoints"): one .safetensors file holding the
// parameters under PyTorch's names, the AdamW moments under optim.m.<name> /
// optim.v.<name>, and __metadata__ with the model config, vocabulary, styles,
// training settings and state, the training names (for --novel and exact
// resume), a format version and a CRC-32 of the data section, continued over
// the rest of the header so that damage anywhere is caught.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "wuxia/params.hpp"
#include "wuxia/vocab.hpp"

namespace wuxia {

inline constexpr const char* kCheckpointFormat = "wuxia.checkpoint.v1";

// Everything that, with the names, fixes a training run's trajectory.
struct TrainSettings {
  int batch = 64;
  double lr = 3e-3;
  double weight_decay = 0.1;
  double clip = 1.0;
  int64_t warmup = -1;         // linear warm-up steps; -1 = min(100, steps/10)
  int64_t decay_steps = 0;     // cosine decay horizon; after it lr stays at lr * min_lr_ratio
  double min_lr_ratio = 0.1;
  uint64_t seed = 1;
};

struct TrainState {
  int64_t step = 0;  // optimizer steps taken
  int64_t epoch = 0;
  double best_val_loss = std::numeric_limits<double>::infinity();
  int64_t best_step = 0;
};

struct Checkpoint {
  ModelConfig config;
  std::vector<std::string> styles;
  std::vector<char32_t> chars;          // the vocabulary's characters, sorted
  TrainSettings settings;
  TrainState state;
  std::vector<float> params;            // flat, ParamLayout order
  std::vector<float> adam_m, adam_v;    // same layout; empty when not saved
  // Training and validation names per style (index = style).
  std::vector<std::vector<std::u32string>> train_names, val_names;

  Vocab vocab() const { return Vocab(styles, chars); }
};

// Writes atomically: a temporary file in the same folder, flushed and synced,
// renamed over `path`. On any failure `path` is untouched and wuxia::Error says why.
void save_checkpoint(const std::string& path, const Checkpoint& ck);

// Reads and validates everything; wuxia::Error names what is wrong.
Checkpoint load_checkpoint(const std::string& path);
// The same on a file's bytes already in memory; `path` names it in errors.
Checkpoint parse_checkpoint(const std::string& bytes, const std::string& path);

// CRC-32 (IEEE 802.3, as zlib's crc32) of `n` bytes, continuing from `crc`.
uint32_t crc32(const void* data, std::size_t n, uint32_t crc = 0);

}  // namespace wuxia
