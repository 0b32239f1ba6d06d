// The CPU ops' own promises, beyond what the gradient check covers.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "../src/cpu/simd_math.hpp"
#include "wuxia/cpu/cpu_backend.hpp"

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
