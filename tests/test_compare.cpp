// The one tolerance rule of verify and the GPU parity tests (wuxia/model/compare.hpp), and the one
// step comparison they share (wuxia/model/step_compare.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/model/compare.hpp"
#include "wuxia/model/step_compare.hpp"

using namespace wuxia;

TEST(Compare, ElementScaleMeasuresEachElementAgainstItsOwnReference) {
  const Tolerance tol{1e-6, 1e-3, Tolerance::Scale::Element};
  const std::vector<double> ref{1000.0, 1e-3, 0.0};
  EXPECT_TRUE(compare(std::vector<double>{1000.5, 1e-3, 1e-7}, ref, tol).ok());
  const Diff d = compare(std::vector<double>{1000.0, 1.1e-3, 0.0}, ref, tol);
  EXPECT_EQ(d.bad, 1u);
  ASSERT_EQ(d.first.size(), 1u);
  EXPECT_EQ(d.first[0].index, 1u);
  EXPECT_NE(d.describe().find("[1] got 0.0011 ref 0.001"), std::string::npos) << d.describe();
}

TEST(Compare, TensorScaleForgivesNearZeroEntriesOfALargeTensor) {
  const std::vector<double> ref{1.0, 1e-9}, got{1.0, 2e-7};
  EXPECT_FALSE(compare(got, ref, Tolerance{0, 1e-3, Tolerance::Scale::Element}).ok());
  EXPECT_TRUE(compare(got, ref, Tolerance{0, 1e-3, Tolerance::Scale::Tensor}).ok());
  EXPECT_NEAR(compare(got, ref, Tolerance{0, 1e-3, Tolerance::Scale::Tensor}).rel(), 2e-7 - 1e-9, 1e-15);
}

TEST(Compare, NaNMatchesOnlyNaNAndInfinityOnlyItself) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const Tolerance tol{1e-6, 1e-3, Tolerance::Scale::Element};
  EXPECT_TRUE(compare(std::vector<double>{nan, inf, -inf}, std::vector<double>{nan, inf, -inf}, tol).ok());
  const Diff d = compare(std::vector<double>{1.0, -inf}, std::vector<double>{nan, inf}, tol);
  EXPECT_EQ(d.bad, 2u);
  EXPECT_TRUE(std::isinf(d.rel()));
}

TEST(Compare, SizesThatDifferAreAMismatchNotAPass) {
  const Diff d = compare(std::vector<float>{1, 2}, std::vector<float>{1, 2, 3}, Tolerance{1, 1});
  EXPECT_FALSE(d.ok());
  EXPECT_NE(d.describe().find("sizes differ"), std::string::npos);
}

namespace {

// Two CPU models of one small config on one batch (test_model.cpp's shape).
struct TwinModels {
  ModelConfig cfg;
  cpu::CpuBackend<float> be_a, be_b;
  std::unique_ptr<Model<float>> a, b;
  Batch batch;
  TwinModels() {
    cfg.vocab = 7;
    cfg.embed = 3;
    cfg.hidden = 4;
    cfg.layers = 1;
    cfg.dropout = 0.2;
    a = std::make_unique<Model<float>>(be_a, cfg);
    b = std::make_unique<Model<float>>(be_b, cfg);
    const auto init = init_params(cfg, 42);
    a->set_params(init);
    b->set_params(init);
    std::vector<Example> ex(2);
    ex[0].seq = {1, 3, 4, 5};
    ex[1].seq = {2, 6};
    batch = make_batch(ex, {0, 1});
  }
};

StepOptions step_three() {
  StepOptions so;
  so.train = true;
  so.seed = 9;
  so.step = 3;
  return so;
}

}  // namespace

TEST(StepCompare, TheSameArithmeticOnBothSidesPassesEveryFigure) {
  TwinModels m;
  AdamWArgs args;
  args.lr = 1e-2;
  args.step = 3;
  StepCompareOptions opts;
  opts.moments = true;
  const StepComparison c = compare_training_step(*m.a, *m.b, m.batch, step_three(), args,
                                                 Tolerance{0, 0, Tolerance::Scale::Tensor}, opts);
  EXPECT_TRUE(c.ok());
  EXPECT_EQ(c.loss_ref, c.loss_other);
  EXPECT_EQ(c.loss_other, c.loss_other_first) << "the same dropout masks on the second forward";
  // loss, logits, a grad per tensor, the norm, a param per tensor, two moments per tensor.
  EXPECT_EQ(c.figures.size(), 3 + 4 * m.a->layout().entries().size());
}

TEST(StepCompare, ADifferentWeightShowsInTheLossGradientsAndParameters) {
  TwinModels m;
  std::vector<float> p = m.b->get_params();
  for (const auto& e : m.b->layout().entries()) {
    if (e.name == "lstm.weight_ih_l0") p[e.offset] += 0.5f;  // one input weight: every step feels it
  }
  m.b->set_params(p);
  AdamWArgs args;
  args.lr = 1e-2;
  args.step = 3;
  const StepComparison c = compare_training_step(*m.a, *m.b, m.batch, step_three(), args,
                                                 Tolerance{1e-6, 1e-3, Tolerance::Scale::Tensor});
  EXPECT_FALSE(c.ok());
  bool param_off = false, grad_off = false;
  for (const auto& f : c.figures) {
    param_off = param_off || (f.kind == StepFigure::Kind::Param && !f.diff.ok());
    grad_off = grad_off || (f.kind == StepFigure::Kind::Grad && !f.diff.ok());
  }
  EXPECT_TRUE(param_off);
  EXPECT_TRUE(grad_off);
}
