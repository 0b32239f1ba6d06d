#pragma once
// The small training run the training, levers and regularisers suites share:
// seconds on a CPU, yet two layers, dropout, warm-up and decay, so that
// resume and every lever have something to get wrong.
#include <string>

#include "test_util.hpp"
#include "wuxia/train/training_run.hpp"

namespace wuxia::test {

// `names` (one a line) written to dir/`file`, trained into dir/`out`:
// E=8 H=16 L=2, dropout 0.2, batch 8, seed 11, warm-up 2, decay over 12
// steps, an evaluation every 3. The caller sets the steps.
inline TrainOptions small_run(const TempDir& dir, const std::string& out, const char* names,
                              const std::string& file = "names.txt") {
  write_file(dir.file(file), names);
  TrainOptions o;
  o.data = {{"names", dir.file(file)}};
  o.out_dir = dir.file(out);
  o.model.embed = 8;
  o.model.hidden = 16;
  o.model.layers = 2;
  o.model.dropout = 0.2;
  o.settings.batch = 8;
  o.settings.seed = 11;
  o.settings.warmup = 2;
  o.settings.decay_steps = 12;
  o.eval_every = 3;
  o.quiet = true;
  return o;
}

// The run in dir/`out` carried on from its last checkpoint to `steps`, as
// small_run evaluates (every 3).
inline TrainOptions resumed_run(const TempDir& dir, const std::string& out, int64_t steps) {
  TrainOptions o;
  o.resume = dir.file(out + "/last.safetensors");
  o.out_dir = dir.file(out);
  o.steps = steps;
  o.eval_every = 3;
  o.quiet = true;
  return o;
}

}  // namespace wuxia::test
