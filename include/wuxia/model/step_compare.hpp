#pragma once
// One training step of one model on two backends, every tensor of it
// compared under one Tolerance: the comparison that `wuxia verify` prints and
// the GPU parity tests assert (the first backend is the reference).
#include <string>
#include <vector>

#include "wuxia/data/batch.hpp"
#include "wuxia/model/compare.hpp"
#include "wuxia/model/model.hpp"

namespace wuxia {

struct StepFigure {
  enum class Kind { Loss, Logits, Grad, GradNorm, Param, Moment };
  Kind kind;
  std::string what;  // "loss", "logits", "grad lstm.weight_hh_l0 [384, 96]", "param fc.bias", "moment 1 fc.bias"
  Diff diff;
};

struct StepComparison {
  double loss_ref = 0, loss_other = 0;  // mean NLL per target token of the step's forward pass
  // The other backend's loss on its first forward pass of the step (logits
  // only): equal to loss_other when it draws the same dropout masks again.
  double loss_other_first = 0;
  std::vector<StepFigure> figures;  // in the order: loss, logits, each grad, gradient norm, each param, each moment
  bool ok() const;
};

struct StepCompareOptions {
  // false: aligned. `other` steps on `ref`'s gradients (after its own are
  // compared), so a figure is one step's disagreement, not an accumulation.
  // true: each side runs Model::train_step on its own, as `train` does (on a
  // GPU a replayed recording), so differences compound over steps.
  bool free_run = false;
  bool moments = false;  // also compare AdamW's two moments after the step
};

// Runs step `so` (so.train set; so.backward is set here) with optimizer
// arguments `a` on both models over `batch` and compares. The models must
// have one config and, unless free-running, start from the same parameters
// and moments (the caller aligns them).
StepComparison compare_training_step(Model<float>& ref, Model<float>& other, const Batch& batch, StepOptions so,
                                     const AdamWArgs& a, const Tolerance& tol, const StepCompareOptions& opts = {});

}  // namespace wuxia
