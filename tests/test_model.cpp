// The model driver against the truth: a finite-difference gradient check in
// double, and PyTorch's numbers for a tiny model (tests/golden/).
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "model_test_util.hpp"
#include "test_util.hpp"
#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/model/model.hpp"

using namespace wuxia;

namespace {

using test::tiny_batch;

// Every parameter's gradient against finite differences, with dropout's
// mask (when on) fixed by (seed, step): the same in every call.
void gradient_check(double dropout) {
  StepOptions so;
  so.train = dropout > 0;
  so.seed = 9;
  so.step = 3;
  test::expect_gradients_match_finite_differences(test::tiny_config(dropout), so);
}

}  // namespace

TEST(GradientCheck, EveryParameterMatchesFiniteDifferencesWithoutDropout) { gradient_check(0.0); }

TEST(GradientCheck, EveryParameterMatchesFiniteDifferencesWithDropout) { gradient_check(0.4); }

TEST(GradientCheck, DropoutChangesTheLossSoTheMaskIsReallyApplied) {
  ModelConfig cfg{7, 3, 4, 2, 0.5};
  cpu::CpuBackend<double> be;
  Model<double> model(be, cfg);
  model.set_params(init_params(cfg, 1));
  const Batch b = tiny_batch(7);
  StepOptions off, on;
  on.train = true;
  on.seed = 5;
  EXPECT_NE(model.forward(b, off), model.forward(b, on));
}

TEST(Model, PaddingDoesNotChangeTheLossOfRealTokens) {
  ModelConfig cfg{7, 3, 4, 2, 0.0};
  cpu::CpuBackend<double> be;
  Model<double> model(be, cfg);
  model.set_params(init_params(cfg, 1));
  std::vector<Example> ex(2);
  ex[0].seq = {1, 3, 4, 5, 6};
  ex[1].seq = {2, 6};
  const double together = model.forward(make_batch(ex, {0, 1}), {});
  const double alone = model.forward(make_batch(ex, {0}), {}) + model.forward(make_batch(ex, {1}), {});
  EXPECT_NEAR(together, alone, 1e-12);
}

TEST(Golden, MatchesPyTorchLogitsLossAndGradients) {
  const auto j = nlohmann::json::parse(test::read_file(std::string(WUXIA_TEST_DIR) + "/golden/tiny_lstm.json"));
  ModelConfig cfg;
  cfg.vocab = j["config"]["vocab"];
  cfg.embed = j["config"]["embed"];
  cfg.hidden = j["config"]["hidden"];
  cfg.layers = j["config"]["layers"];
  cpu::CpuBackend<float> be;
  Model<float> model(be, cfg);
  std::vector<float> params(model.layout().total());
  for (const auto& e : model.layout().entries()) {
    const auto& p = j["params"][e.name];
    ASSERT_EQ(p["shape"].get<std::vector<int64_t>>(), e.shape) << e.name;
    const auto data = p["data"].get<std::vector<double>>();
    std::copy(data.begin(), data.end(), params.begin() + static_cast<std::ptrdiff_t>(e.offset));
  }
  model.set_params(params);
  Batch b;
  b.T = j["T"];
  b.B = j["B"];
  b.tokens = j["tokens"].get<std::vector<int32_t>>();
  b.targets = j["targets"].get<std::vector<int32_t>>();
  for (auto t : b.targets) b.num_targets += t >= 0;
  const double loss = model.forward(b, {}) / static_cast<double>(b.num_targets);
  EXPECT_NEAR(loss, j["loss"].get<double>(), 1e-5);
  const auto logits = model.get_logits();  // backward turns them into d-logits in place
  StepOptions so;
  so.backward = true;
  model.forward(b, so);

  auto close = [](const std::vector<float>& got, const std::vector<double>& want, const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    int shown = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
      const double tol = 1e-5 + 1e-4 * std::abs(want[i]);
      if (std::abs(got[i] - want[i]) > tol && shown++ < 5) {
        ADD_FAILURE() << what << "[" << i << "]: got " << got[i] << ", PyTorch " << want[i];
      }
    }
  };
  close(logits, j["logits"].get<std::vector<double>>(), "logits");
  const auto grads = model.get_grads();
  for (const auto& e : model.layout().entries()) {
    std::vector<float> g(grads.begin() + static_cast<std::ptrdiff_t>(e.offset),
                         grads.begin() + static_cast<std::ptrdiff_t>(e.offset + e.size));
    close(g, j["grads"][e.name].get<std::vector<double>>(), "grad " + e.name);
  }
}

// train_step is the training loop's fast path (recorded and replayed on a
// GPU); it must be exactly forward + backward + optimizer_step, and its log
// must hold what those return.
TEST(Model, TrainStepIsForwardBackwardAndOptimizerStepBitForBit) {
  ModelConfig cfg{7, 3, 4, 2, 0.5};
  cpu::CpuBackend<float> be;
  Model<float> a(be, cfg), b(be, cfg);
  a.set_params(init_params(cfg, 3));
  b.set_params(init_params(cfg, 3));
  const Batch batch = tiny_batch(7);
  std::vector<double> nll, norms;
  for (uint64_t step = 1; step <= 4; ++step) {
    StepOptions so;
    so.train = true;
    so.backward = true;
    so.seed = 11;
    so.step = step;
    AdamWArgs args;
    args.lr = 0.05 * static_cast<double>(step);  // a schedule: the scalars change every step
    args.step = static_cast<long long>(step);
    args.weight_decay = 0.1;
    args.clip = 0.5;
    nll.push_back(a.forward(batch, so));
    a.optimizer_step(args);
    norms.push_back(a.last_grad_norm());
    so.backward = false;  // train_step implies it
    b.train_step(batch, so, args);
  }
  EXPECT_TRUE(test::bit_equal(a.get_params(), b.get_params()));
  EXPECT_TRUE(test::bit_equal(a.get_moment(0), b.get_moment(0)));
  EXPECT_TRUE(test::bit_equal(a.get_moment(1), b.get_moment(1)));
  const auto log = b.take_step_log();
  ASSERT_EQ(log.size(), 4u);
  for (std::size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(log[i].nll, static_cast<double>(static_cast<float>(nll[i]))) << "step " << i + 1;
    EXPECT_EQ(log[i].grad_norm, norms[i]) << "step " << i + 1;
  }
  EXPECT_TRUE(b.take_step_log().empty()) << "a log is handed out once";
  EXPECT_EQ(b.recorded_steps(), 0u) << "the CPU backend does not record";
}

// The device-side log holds 1024 steps; more must spill to the host, not wrap.
TEST(Model, StepLogKeepsEveryStepPastItsDeviceCapacity) {
  ModelConfig cfg{7, 3, 4, 1, 0.0};
  cpu::CpuBackend<float> be;
  Model<float> m(be, cfg);
  m.set_params(init_params(cfg, 3));
  const Batch batch = tiny_batch(7);
  AdamWArgs args;
  args.lr = 0;  // the same loss every step
  std::vector<Model<float>::StepLog> all;
  for (int step = 1; step <= 2500; ++step) {
    args.step = step;
    m.train_step(batch, {}, args);
    if (step == 1500) all = m.take_step_log();
  }
  const auto rest = m.take_step_log();
  all.insert(all.end(), rest.begin(), rest.end());
  ASSERT_EQ(all.size(), 2500u);
  for (const auto& l : all) EXPECT_EQ(l.nll, all.front().nll);
}
