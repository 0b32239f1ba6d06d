#pragma once
// A tiny model and batch, and the finite-difference gradient check of the CPU
// backward in double: shared by the model's tests and the regularisers'.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/data/batch.hpp"
#include "wuxia/model/model.hpp"

namespace wuxia::test {

// Three padded sequences, T = 5 (lengths 5, 2, 4): padding only at the end;
// tokens 1, 3, 4, 5, 6 and vocab - 1 occur, some more than once.
inline Batch tiny_batch(int vocab) {
  std::vector<Example> ex(3);
  ex[0].seq = {1, 3, 4, 5, 6};
  ex[1].seq = {2, 6};
  ex[2].seq = {1, 6, 5, vocab - 1};
  return make_batch(ex, {0, 1, 2});
}

// V=7 E=3 H=4 L=2: every code path of the model (two layers, dropout between).
inline ModelConfig tiny_config(double dropout) {
  ModelConfig cfg;
  cfg.vocab = 7;
  cfg.embed = 3;
  cfg.hidden = 4;
  cfg.layers = 2;
  cfg.dropout = dropout;
  return cfg;
}

// The backward pass of `cfg` in double on tiny_batch under `so` (its masks
// fixed by seed and step, so the same in every call) against central finite
// differences: the largest |analytic - numeric| / max(1e-3, |numeric|) over
// each parameter tensor, reported per tensor on failure.
inline void expect_gradients_match_finite_differences(const ModelConfig& cfg, StepOptions so) {
  cpu::CpuBackend<double> be;
  Model<double> model(be, cfg);
  const auto init = init_params(cfg, 42);
  std::vector<double> params(init.begin(), init.end());
  // Larger weights than the init so the gates leave their linear region.
  for (auto& p : params) p *= 2.0;
  model.set_params(params);
  const Batch batch = tiny_batch(cfg.vocab);
  so.backward = true;
  model.forward(batch, so);
  const std::vector<double> grads = model.get_grads();
  so.backward = false;
  const double n = static_cast<double>(batch.num_targets);
  auto loss_at = [&](const std::vector<double>& p) {
    model.set_params(p);
    return model.forward(batch, so) / n;
  };
  const double eps = 1e-6;
  for (const auto& t : model.layout().entries()) {
    double worst = 0;
    std::size_t worst_i = 0;
    for (std::size_t i = t.offset; i < t.offset + t.size; ++i) {
      std::vector<double> p = params;
      p[i] += eps;
      const double up = loss_at(p);
      p[i] -= 2 * eps;
      const double down = loss_at(p);
      const double numeric = (up - down) / (2 * eps);
      const double err = std::abs(grads[i] - numeric) / std::max(1e-3, std::abs(numeric));
      if (err > worst) worst = err, worst_i = i;
    }
    EXPECT_LT(worst, 1e-5) << t.name << " element " << worst_i - t.offset << ": analytic " << grads[worst_i];
  }
}

}  // namespace wuxia::test
