#pragma once
// The training run: names -> split -> vocabulary -> batches -> AdamW steps,
// evaluated every eval_every steps, with best.safetensors (lowest validation
// loss) and last.safetensors written to the output folder.
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "wuxia/backend.hpp"
#include "wuxia/batch.hpp"
#include "wuxia/checkpoint.hpp"
#include "wuxia/model.hpp"
#include "wuxia/names.hpp"

namespace wuxia {

struct TrainOptions {
  std::vector<DataSpec> data;   // one per style
  std::string val_path;         // explicit validation file ("" = split off the data)
  std::string out_dir = "runs/default";
  ModelConfig model;            // vocab is filled in from the data
  TrainSettings settings;
  int64_t steps = 0;            // total steps to reach; 0 = from epochs or the default
  double epochs = 0;
  int64_t eval_every = 250;
  int64_t log_every = 50;       // plain log lines (not on a terminal)
  int threads = 0;              // 0 = all cores
  std::string resume;           // checkpoint to continue from
  std::string metrics_path;     // JSON lines, appended
  bool quiet = false;
  bool tty = false;             // redraw one progress line instead of printing log lines
};

inline constexpr int64_t kDefaultSteps = 1500;

struct TrainResult {
  int64_t steps = 0;           // final step
  double best_val_loss = 0;
  int64_t best_step = 0;
  double final_val_loss = 0;
  double seconds = 0;          // wall time of the training loop
  double tokens_per_sec = 0;   // training target tokens per second
};

// Learning rate at 1-based `step`: linear warm-up, cosine decay to
// lr * min_lr_ratio at decay_steps, constant after.
double learning_rate(const TrainSettings& s, int64_t step);

// The validation split: min(1000, 10%) of all names (at least one), chosen by
// a permutation keyed by the seed. Returns per-style train and val lists.
void split_names(const std::vector<NameFile>& files, uint64_t seed, std::vector<std::vector<std::u32string>>& train,
                 std::vector<std::vector<std::u32string>>& val);

// The pieces of a training run that `wuxia bench` shares with train(), so a
// benchmark times exactly the steps that training takes.
//
// A fresh run's names (split into train/val), vocabulary, config and initial
// parameters, from o.data, o.val_path, o.model and o.settings. Notes go to
// `log` unless o.quiet.
Checkpoint prepare_fresh_run(const TrainOptions& o, std::ostream& log);
// The training examples of per-style name lists; throws on a character
// outside the vocabulary.
std::vector<Example> encode_names(const Vocab& vocab, const std::vector<std::vector<std::u32string>>& names);
// Forward/backward options and AdamW arguments of 1-based training step `step`.
StepOptions train_step_options(const TrainSettings& s, int64_t step);
AdamWArgs adamw_args(const TrainSettings& s, int64_t step);

// Runs training on `backend`; progress and notes go to `log`. Throws
// wuxia::Error on bad input and on divergence (naming the step;
// best.safetensors untouched).
TrainResult train(const TrainOptions& opts, Backend<float>& backend, std::ostream& log);

}  // namespace wuxia
