// The CPU ops' own promises, beyond what the gradient check covers.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "../src/cpu/simd_math.hpp"
#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/model/lstm_layer.hpp"
#include "wuxia/platform/error.hpp"

using namespace wuxia;

TEST(CpuOps, FastExpTracksLibmOverTheUsefulRange) {
  for (float x = -80.0f; x <= 80.0f; x += 0.037f) {
    const float want = std::exp(x);
    EXPECT_NEAR(cpu::simd::exp(x), want, 4e-7f * want) << x;
  }
}

TEST(CpuOps, NaNGoesInNaNComesOut) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(cpu::simd::exp(nan)));
  EXPECT_TRUE(std::isnan(cpu::simd::sigmoid(nan)));
  EXPECT_TRUE(std::isnan(cpu::simd::tanh(nan)));
  // A diverged pre-activation must reach the cell's outputs, not be clamped away.
  std::vector<float> gates(4 * 3, 0.5f), c(3), h(3);
  gates[1] = nan;  // the input gate of unit 1
  cpu::lstm_cell_forward<float>(1, 3, gates.data(), nullptr, c.data(), h.data());
  EXPECT_TRUE(std::isnan(h[1]));
  EXPECT_FALSE(std::isnan(h[0]));
}

TEST(CpuOps, DropoutKeepsAboutOneMinusPAndScalesTheKept) {
  std::vector<float> x(100000, 1.0f), y(x.size());
  cpu::dropout<float>(x.size(), 0.3, 1, 16, 2, x.data(), y.data());
  std::size_t kept = 0;
  for (float v : y) {
    if (v != 0.0f) {
      ++kept;
      EXPECT_FLOAT_EQ(v, 1.0f / 0.7f);
    }
  }
  EXPECT_NEAR(static_cast<double>(kept) / x.size(), 0.7, 0.01);
  std::vector<float> again(x.size());
  cpu::dropout<float>(x.size(), 0.3, 1, 16, 2, x.data(), again.data());
  EXPECT_EQ(again, y);  // the mask is a function of (seed, purpose, step, index)
}

TEST(CpuOps, AdamWMatchesTorchOnAHandWorkedStep) {
  // torch.optim.AdamW(lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01), one step:
  // p=1, g=0.5 -> p = 1*(1-0.1*0.01) - 0.1 * (0.05/0.1) / (sqrt(0.00025/0.001) + 1e-8) = 0.899 (to 1e-7)
  std::vector<double> p{1.0}, g{0.5}, m{0.0}, v{0.0}, norm{0.5};
  AdamWArgs a;
  a.lr = 0.1;
  a.weight_decay = 0.01;
  a.step = 1;
  cpu::adamw_step<double>(1, p.data(), g.data(), m.data(), v.data(), norm.data(), AdamWScalars<double>::from(a));
  EXPECT_NEAR(p[0], 0.999 - 0.1, 1e-7);
  EXPECT_DOUBLE_EQ(m[0], 0.05);
  EXPECT_DOUBLE_EQ(v[0], 0.00025);
}

TEST(CpuOps, ClippingScalesTheGradientByClipOverNorm) {
  std::vector<double> p{0.0}, g{4.0}, m{0.0}, v{0.0}, norm{4.0};
  AdamWArgs a;
  a.clip = 1.0;
  a.beta1 = 0.0;  // m = g' directly
  cpu::adamw_step<double>(1, p.data(), g.data(), m.data(), v.data(), norm.data(), AdamWScalars<double>::from(a));
  EXPECT_NEAR(m[0], 1.0, 1e-6);  // 4 * 1 / (4 + 1e-6)
}

// --recurrence (issue 30): the CPU's fused-recurrence op is the reference
// the CUDA kernel is compared with, so it must be the step loop exactly.
namespace {

std::vector<float> spread(std::size_t n, float scale, unsigned seed) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = scale * std::sin(0.37f * static_cast<float>(i) + static_cast<float>(seed));
  return v;
}

}  // namespace

TEST(CpuOps, FusedRecurrenceOpIsTheStepLoopBitForBit) {
  const int steps = 4, b = 3, h = 5;
  const std::size_t bh = static_cast<std::size_t>(b) * h, n = steps * bh;
  const auto w = spread(4 * h * h, 0.4f, 1), g0 = spread(4 * n, 1.5f, 2), dh = spread(n, 0.3f, 3);
  cpu::CpuBackend<float> be(1);
  struct Out {
    std::vector<float> gates, cells, hs, dgates, dc, dh_rec;
  };
  auto run = [&](RecurrencePath p) {
    be.set_recurrence(p);
    Out o{g0, std::vector<float>(n), std::vector<float>(n), std::vector<float>(4 * n), std::vector<float>(bh),
          std::vector<float>(bh)};
    lstm_layer_forward(be, steps, b, h, w.data(), o.gates.data(), o.cells.data(), o.hs.data());
    lstm_layer_backward(be, steps, b, h, w.data(), o.gates.data(), o.cells.data(), dh.data(), o.dc.data(),
                        o.dh_rec.data(), o.dgates.data());
    return o;
  };
  const Out a = run(RecurrencePath::kSteps), f = run(RecurrencePath::kFused);
  EXPECT_EQ(a.gates, f.gates);
  EXPECT_EQ(a.cells, f.cells);
  EXPECT_EQ(a.hs, f.hs);
  EXPECT_EQ(a.dgates, f.dgates);
  EXPECT_EQ(a.dc, f.dc);
  EXPECT_EQ(a.dh_rec, f.dh_rec);
  // And the outputs moved: the loop ran (h_t depends on h_{t-1}).
  EXPECT_NE(a.hs[bh], 0.0f);
}

TEST(CpuOps, AutoRecurrenceKeepsTheStepLoopOnTheCpu) {
  cpu::CpuBackend<float> be(1);
  const auto fit = be.lstm_recurrence_fit(8, 16);
  EXPECT_TRUE(fit.runs);
  EXPECT_FALSE(fit.faster) << "the CPU op is the step loop: nothing to gain";
  EXPECT_FALSE(fused_recurrence(be, 8, 16));
  be.set_recurrence(RecurrencePath::kFused);
  EXPECT_TRUE(fused_recurrence(be, 8, 16));
}

TEST(CpuOps, RecurrencePathParsesItsThreeNamesAndNamesTheFlagOtherwise) {
  for (RecurrencePath p : {RecurrencePath::kAuto, RecurrencePath::kSteps, RecurrencePath::kFused})
    EXPECT_EQ(parse_recurrence_path(recurrence_path_name(p)), p);
  try {
    parse_recurrence_path("persistent");
    FAIL() << "accepted a fourth name";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--recurrence persistent"), std::string::npos) << e.what();
  }
}
