#pragma once
// `wuxia train`: a TrainingRun (training_run.hpp) taken to its last step,
// evaluated every eval_every steps, with best.safetensors (lowest validation
// loss) and last.safetensors written to the output folder, progress shown
// (progress.hpp), and an early stop after --patience evaluations without a
// better validation loss. The run holds its folder (run_folder.hpp) and
// stops cleanly on SIGINT or SIGTERM (interrupt.hpp).
#include <cstdint>
#include <iosfwd>

#include "wuxia/model/backend.hpp"
#include "wuxia/train/training_run.hpp"

namespace wuxia {

struct TrainResult {
  int64_t steps = 0;  // final step
  double best_val_loss = 0;
  int64_t best_step = 0;
  double final_val_loss = 0;
  double seconds = 0;          // wall time of the training loop
  double tokens_per_sec = 0;   // training target tokens per second
  bool stopped_early = false;  // by --patience
  int signal = 0;              // SIGINT or SIGTERM that stopped the run (last.safetensors written), else 0
};

// Runs training on `backend`; progress and notes go to `log`. Throws
// wuxia::Error on bad input and on divergence (naming the step; the
// checkpoints untouched).
TrainResult train(const TrainOptions& opts, Backend<float>& backend, std::ostream& log);

}  // namespace wuxia
