// `wuxia bench`, and the CPU backend's fast paths that it measures: they must
// agree with the plain reference math (the double backend), and give the
// same bits for any thread count. No timing is asserted here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "bench_steps.hpp"
#include "test_util.hpp"
#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/data/batch.hpp"
#include "wuxia/model/model.hpp"
#include "wuxia/model/rng.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/train/training_run.hpp"

using namespace wuxia;
using test::run_wuxia;

namespace {

const std::string kData = std::string(WUXIA_DATA_DIR) + "/jinyong.txt";
const std::string kSmall = " --hidden 32 --embed 16 --layers 1 --batch 32 --threads 1";

nlohmann::json last_json_line(const std::string& out) {
  const auto start = out.rfind("\n{");
  return nlohmann::json::parse(out.substr(start == std::string::npos ? out.find('{') : start + 1));
}

// Runs `f` with OpenMP (and so the BLAS) limited to `threads`, then restores.
template <class F>
void with_threads(int threads, F&& f) {
  const int before = cpu::max_threads();
  cpu::set_threads(threads);
  f();
  cpu::set_threads(before);
}

std::vector<float> uniform_floats(std::size_t n, uint64_t key, float scale) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = scale * (2 * rng::uniform(key, rng::kInit, 0, i) - 1);
  return v;
}

// Stands for an asynchronous device in time_steps(): records which step the
// run had taken at each synchronize(); the rest is never called.
class SyncCounter : public Memory {
 public:
  const TrainingRun* run = nullptr;
  std::vector<int64_t> synced_at;
  void* allocate(std::size_t) override { throw Error("SyncCounter: allocate"); }
  void deallocate(void*) noexcept override {}
  void upload(void*, const void*, std::size_t) override { throw Error("SyncCounter: upload"); }
  void download(void*, const void*, std::size_t) override { throw Error("SyncCounter: download"); }
  void synchronize() override { synced_at.push_back(run->step()); }
};

TrainOptions tiny_bench_run(int64_t steps) {
  TrainOptions o;
  o.data = {{"jinyong", kData}};
  o.model.embed = 8;
  o.model.hidden = 16;
  o.model.layers = 1;
  o.model.dropout = 0;
  o.settings.batch = 8;
  o.steps = steps;
  o.quiet = true;
  return o;
}

}  // namespace

TEST(BenchCli, JsonReportsThroughputStepTimesAndMemory) {
  const auto r = run_wuxia("bench --data " + kData + kSmall + " --steps 3 --warmup 1 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = last_json_line(r.out);
  EXPECT_EQ(j["impl"], "wuxia");
  EXPECT_EQ(j["device"], "cpu");
  EXPECT_EQ(j["threads"], 1);
  EXPECT_EQ(j["steps"], 3);
  EXPECT_EQ(j["warmup"], 1);
  EXPECT_EQ(j["hidden"], 32);
  EXPECT_GT(j["tokens"].get<int64_t>(), 0);
  EXPECT_GT(j["tokens_per_sec"].get<double>(), 0);
  const double p10 = j["step_ms_p10"], med = j["step_ms_median"], p90 = j["step_ms_p90"];
  EXPECT_GT(j["step_ms_min"].get<double>(), 0);
  EXPECT_LE(j["step_ms_min"].get<double>(), p10);
  EXPECT_LE(p10, med);
  EXPECT_LE(med, p90);
  EXPECT_LE(p90, j["step_ms_max"].get<double>());
  EXPECT_GT(j["peak_rss_mib"].get<double>(), 0);
  EXPECT_TRUE(j["peak_device_mib"].is_null());  // the CPU's memory is the process's: peak_rss_mib
  EXPECT_TRUE(std::isfinite(j["first_loss"].get<double>()));
  EXPECT_FALSE(j["runtime"].get<std::string>().empty());
  EXPECT_EQ(j["recorded_shapes"], 0) << "the CPU backend does not record steps";
}

TEST(BenchCli, OpXentTimesTheFusedLossAloneAndCountsItsInputs) {
  const auto r = run_wuxia("bench --op xent --rows 64 --vocab 33 --iters 2 --threads 1 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = last_json_line(r.out);
  EXPECT_EQ(j["op"], "xent");
  EXPECT_GT(j["ms"].get<double>(), 0);
  EXPECT_NEAR(j["input_mib"].get<double>(), (64.0 * 33 * 4 + 64 * 4 + 8) / (1024.0 * 1024.0), 1e-12);
  EXPECT_TRUE(j["extra_mib"].is_null()) << "only a backend that tracks its allocations can say";
}

TEST(BenchCli, OpRecurrentReportsTheShareOfTheGemmsRateAlone) {
  const auto r = run_wuxia("bench --op recurrent --batch 8 --hidden 16 --steps 3 --iters 2 --threads 1 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = last_json_line(r.out);
  EXPECT_EQ(j["steps"], 3);
  for (const char* k : {"fwd_gemm_ms", "fwd_step_ms", "bwd_gemm_ms", "bwd_step_ms"})
    EXPECT_GT(j[k].get<double>(), 0) << k;
  EXPECT_DOUBLE_EQ(j["fwd_fraction_of_gemm_alone"].get<double>(),
                   j["fwd_gemm_ms"].get<double>() / j["fwd_step_ms"].get<double>());
  EXPECT_DOUBLE_EQ(j["bwd_fraction_of_gemm_alone"].get<double>(),
                   j["bwd_gemm_ms"].get<double>() / j["bwd_step_ms"].get<double>());
}

// Issue 30's comparison row: the fused recurrence timed beside the step
// loop. On the CPU the fused op is the step loop, and auto keeps the steps.
TEST(BenchCli, OpRecurrentTimesTheFusedRecurrenceBesideTheStepLoop) {
  const auto r = run_wuxia("bench --op recurrent --batch 4 --hidden 8 --steps 3 --iters 2 --threads 1 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = last_json_line(r.out);
  EXPECT_EQ(j["fused_runs"], true);
  EXPECT_EQ(j["auto_picks"], "steps");
  EXPECT_GT(j["fwd_fused_ms"].get<double>(), 0);
  EXPECT_GT(j["bwd_fused_ms"].get<double>(), 0);
  EXPECT_DOUBLE_EQ(j["fwd_fused_speedup"].get<double>(),
                   j["fwd_step_ms"].get<double>() / j["fwd_fused_ms"].get<double>());
}

TEST(BenchCli, RecurrenceFlagRejectsAnUnknownPathNamingTheFlag) {
  const auto r = run_wuxia("bench --op recurrent --batch 2 --hidden 4 --steps 2 --iters 1 --recurrence gpu");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("--recurrence gpu: expected auto, steps or fused"), std::string::npos) << r.out;
}

TEST(BenchCli, TrainingRowSaysWhichRecurrenceItRan) {
  const auto r = run_wuxia("bench --data " + kData + kSmall + " --steps 1 --warmup 0 --recurrence fused --json");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(last_json_line(r.out)["recurrence"], "fused");
}

TEST(BenchCli, OpPeakReportsGemmRateAndCopyBandwidth) {
  const auto r = run_wuxia("bench --op peak --size 64 --iters 2 --threads 1 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = last_json_line(r.out);
  EXPECT_EQ(j["size"], 64);
  EXPECT_GT(j["gemm_tflops"].get<double>(), 0);
  EXPECT_GT(j["copy_gbps"].get<double>(), 0);
}

TEST(BenchCli, Tf32OnTheCpuSaysItChangesNothing) {
  const auto r = run_wuxia("bench --data " + kData + kSmall + " --steps 1 --warmup 0 --tf32 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("--tf32 only changes GPU GEMMs"), std::string::npos) << r.out;
  EXPECT_EQ(last_json_line(r.out)["tf32"], false);
}

TEST(BenchCli, TextOutputNamesTheFigures) {
  const auto r = run_wuxia("bench --data " + kData + kSmall + " --steps 2 --warmup 0");
  ASSERT_EQ(r.code, 0) << r.out;
  for (const char* what : {"tokens/s", "step time: median", "p10", "p90", "peak RSS"}) {
    EXPECT_NE(r.out.find(what), std::string::npos) << what << " missing in:\n" << r.out;
  }
}

TEST(BenchCli, BadFlagsAreErrorsNamingTheFlag) {
  struct Case {
    std::string args, says;
  };
  for (const Case& c : std::vector<Case>{{"--steps 0", "--steps"},
                                         {"--warmup -1", "--warmup"},
                                         {"--threads -2", "--threads"},
                                         {"--batch 0", "--batch"},
                                         {"--steps many", "--steps"},
                                         {"--device tpu", "--device"},
                                         {"--dropout 1.5", "--dropout"},
                                         {"--no-such-flag", "no-such-flag"},
                                         {"--op fly", "--op fly"},
                                         {"--op xent --rows 0", "--rows"},
                                         {"--op peak --size 0", "--size"},
                                         {"--data /no/such/names.txt", "/no/such/names.txt"}}) {
    const auto r = run_wuxia("bench --data " + kData + kSmall + " --steps 2 --warmup 0 " + c.args);
    EXPECT_NE(r.code, 0) << c.args;
    EXPECT_NE(r.out.find(c.says), std::string::npos) << c.args << ": " << r.out;
  }
}

// The float cell (vectorised exp/sigmoid/tanh) against the double one (libm).
TEST(CpuKernels, FloatCellMatchesTheDoubleReference) {
  const int b = 7, h = 37;  // odd sizes: the vector loops' tails too
  const auto g = uniform_floats(static_cast<std::size_t>(b) * 4 * h, 1, 12.0f);  // well into saturation
  const auto cp = uniform_floats(static_cast<std::size_t>(b) * h, 2, 3.0f);
  std::vector<float> gf = g, cf(b * h), hf(b * h);
  std::vector<double> gd(g.begin(), g.end()), cpd(cp.begin(), cp.end()), cd(b * h), hd(b * h);
  cpu::lstm_cell_forward<float>(b, h, gf.data(), cp.data(), cf.data(), hf.data());
  cpu::lstm_cell_forward<double>(b, h, gd.data(), cpd.data(), cd.data(), hd.data());
  for (int i = 0; i < b * 4 * h; ++i) ASSERT_NEAR(gf[i], gd[i], 1e-6) << "gate " << i;
  for (int i = 0; i < b * h; ++i) {
    ASSERT_NEAR(cf[i], cd[i], 2e-6 * (1 + std::abs(cd[i]))) << "c " << i;
    ASSERT_NEAR(hf[i], hd[i], 1e-6) << "h " << i;
  }
  // Backward, on the saved activations, with and without the optional inputs.
  const auto dh = uniform_floats(static_cast<std::size_t>(b) * h, 3, 1.0f);
  for (bool with_prev : {true, false}) {
    std::vector<float> dcf(b * h, 0.25f), dgf(b * 4 * h);
    std::vector<double> dcd(b * h, 0.25), dgd(b * 4 * h), dhd(dh.begin(), dh.end());
    cpu::lstm_cell_backward<float>(b, h, gf.data(), with_prev ? cp.data() : nullptr, cf.data(), dh.data(),
                                   with_prev ? dh.data() : nullptr, dcf.data(), dgf.data());
    cpu::lstm_cell_backward<double>(b, h, gd.data(), with_prev ? cpd.data() : nullptr, cd.data(), dhd.data(),
                                    with_prev ? dhd.data() : nullptr, dcd.data(), dgd.data());
    for (int i = 0; i < b * 4 * h; ++i) ASSERT_NEAR(dgf[i], dgd[i], 1e-5) << "dgates " << i;
    for (int i = 0; i < b * h; ++i) ASSERT_NEAR(dcf[i], dcd[i], 1e-5) << "dc " << i;
  }
}

// Loss and d-logits of the float op (vectorised exp, one exp per element)
// against the double reference, in place and into a separate buffer.
TEST(CpuKernels, FloatSoftmaxXentMatchesTheDoubleReference) {
  const int rows = 5, v = 203;
  const auto logits = uniform_floats(static_cast<std::size_t>(rows) * v, 4, 20.0f);
  const std::vector<int32_t> targets{3, -1, 202, 0, 77};
  std::vector<double> ld(logits.begin(), logits.end()), dd(ld.size()), rowd(rows);
  double lossd = 0;
  cpu::softmax_xent<double>(rows, v, ld.data(), targets.data(), 0.5, &lossd, rowd.data(), dd.data());
  std::vector<float> df(logits.size()), rowf(rows), inplace = logits;
  float lossf = 0, loss_inplace = 0;
  cpu::softmax_xent<float>(rows, v, logits.data(), targets.data(), 0.5f, &lossf, rowf.data(), df.data());
  cpu::softmax_xent<float>(rows, v, inplace.data(), targets.data(), 0.5f, &loss_inplace, nullptr, inplace.data());
  EXPECT_NEAR(lossf, lossd, 1e-5 * std::abs(lossd));
  EXPECT_EQ(lossf, loss_inplace);
  for (int r = 0; r < rows; ++r) EXPECT_NEAR(rowf[r], rowd[r], 1e-5 * (1 + rowd[r]));
  for (std::size_t i = 0; i < df.size(); ++i) {
    ASSERT_NEAR(df[i], dd[i], 1e-7 + 1e-5 * std::abs(dd[i])) << i;
    ASSERT_EQ(df[i], inplace[i]) << i;
  }
}

// gemm cuts large products over the threads itself: each element is still
// one BLAS dot product over all of k, so the bits do not depend on the split.
TEST(CpuKernels, GemmGivesTheSameBitsOnOneAndTwoThreads) {
  struct Shape {
    bool ta, tb;
    int m, n, k;
  };
  for (const Shape& s : std::vector<Shape>{{false, true, 203, 1027, 257},   // split by columns
                                           {false, false, 1031, 77, 300},   // by rows
                                           {true, false, 515, 130, 301},    // A transposed
                                           {false, true, 64, 512, 128}}) {  // small: one thread
    const int lda = s.ta ? s.m : s.k, ldb = s.tb ? s.k : s.n;
    const auto a = uniform_floats(static_cast<std::size_t>(s.m) * s.k, 5, 1.0f);
    const auto b = uniform_floats(static_cast<std::size_t>(s.k) * s.n, 6, 1.0f);
    const auto c0 = uniform_floats(static_cast<std::size_t>(s.m) * s.n, 7, 1.0f);
    std::vector<float> one = c0, two = c0;
    auto product = [&](std::vector<float>& c) {
      cpu::gemm(s.ta, s.tb, s.m, s.n, s.k, 0.5f, a.data(), lda, b.data(), ldb, 1.0f, c.data(), s.n);
    };
    with_threads(1, [&] { product(one); });
    with_threads(2, [&] { product(two); });
    EXPECT_EQ(0, std::memcmp(one.data(), two.data(), one.size() * sizeof(float))) << s.m << "x" << s.n << "x" << s.k;
  }
}

// A whole training step (forward, backward, clip, AdamW) on one and on two
// threads: the same loss, gradients and parameters, bit for bit.
TEST(CpuKernels, TrainingStepGivesTheSameBitsOnOneAndTwoThreads) {
  ModelConfig cfg{300, 24, 96, 2, 0.25};
  std::vector<Example> ex(48);
  for (std::size_t i = 0; i < ex.size(); ++i) {
    ex[i].seq = {1};
    for (std::size_t t = 0; t < 3 + i % 5; ++t) ex[i].seq.push_back(2 + static_cast<int32_t>((i * 31 + t * 17) % 298));
  }
  std::vector<std::size_t> idx(ex.size());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  const Batch batch = make_batch(ex, idx);
  auto run = [&](int threads, double& loss, std::vector<float>& grads, std::vector<float>& params) {
    with_threads(threads, [&] {
      cpu::CpuBackend<float> be;
      Model<float> model(be, cfg);
      model.set_params(init_params(cfg, 3));
      StepOptions so;
      so.train = so.backward = true;
      so.seed = 4;
      so.step = 1;
      loss = model.forward(batch, so);
      grads = model.get_grads();
      AdamWArgs a;
      a.clip = 0.5;
      a.weight_decay = 0.01;
      model.optimizer_step(a);
      params = model.get_params();
    });
  };
  double l1 = 0, l2 = 0;
  std::vector<float> g1, g2, p1, p2;
  run(1, l1, g1, p1);
  run(2, l2, g2, p2);
  EXPECT_EQ(l1, l2);
  ASSERT_EQ(g1.size(), g2.size());
  EXPECT_EQ(0, std::memcmp(g1.data(), g2.data(), g1.size() * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(p1.data(), p2.data(), p1.size() * sizeof(float)));
}

// infer_select: kept rows go on from their own state, copies from the state
// they copied, fresh rows from zero: the logits match a run that fed each
// sequence on its own.
TEST(CpuKernels, InferSelectKeepsCopiesAndStartsRows) {
  ModelConfig cfg{12, 5, 8, 2, 0.0};
  cpu::CpuBackend<double> be;
  Model<double> model(be, cfg);
  model.set_params(init_params(cfg, 8));
  auto alone = [&](const std::vector<int32_t>& seq) {
    model.begin_inference(1);
    std::vector<double> last;
    for (int32_t t : seq) last = model.infer_step({t});
    return last;
  };
  const std::vector<double> want_a = alone({1, 4, 6}), want_b = alone({1, 5, 5}), want_c = alone({1, 7, 2}),
                            want_fresh = alone({2});
  model.begin_inference(4);
  model.infer_step({1, 1, 1});       // rows: a, b, x
  model.infer_select({0, 1, 1}, 0);  // a, b, b (x dropped)
  model.infer_step({4, 5, 7});       // a = 1 4, b = 1 5, c = 1 7
  model.infer_select({0, 1, 2}, 1);  // + a fresh row
  const auto got = model.infer_step({6, 5, 2, 2});
  const int V = cfg.vocab;
  for (int j = 0; j < V; ++j) {
    EXPECT_NEAR(got[0 * V + j], want_a[j], 1e-12);
    EXPECT_NEAR(got[1 * V + j], want_b[j], 1e-12);
    EXPECT_NEAR(got[2 * V + j], want_c[j], 1e-12);
    EXPECT_NEAR(got[3 * V + j], want_fresh[j], 1e-12);
  }
  EXPECT_THROW(model.infer_select({0, 0, 0, 0, 0}, 0), std::exception);  // more rows than room
}

// On a GPU a step returns before the device has run it: each timed step's
// time must end at a synchronize() after that step (issue: the H200 run's
// per-step times were host-side, one interval absorbing the queue), while
// tokens/s comes from the first pass, which waits for nothing inside.
TEST(BenchSteps, OnAnAsynchronousDeviceEachTimedStepEndsAtASynchronize) {
  cpu::CpuBackend<float> cpu(1);
  SyncCounter device;
  std::ostringstream log;
  TrainingRun run(tiny_bench_run(2 + 3), cpu, log);
  device.run = &run;
  const cli::TimedSteps t = cli::time_steps(run, device, true, 2, 3);
  EXPECT_EQ(device.synced_at, (std::vector<int64_t>{5, 6, 7, 8})) << "once after the throughput pass, then per step";
  EXPECT_EQ(t.step_s.size(), 3u);
  EXPECT_EQ(run.step(), 8) << "the step times come from as many steps again";
  EXPECT_GT(t.tokens, 0u);
  EXPECT_GT(t.seconds, 0);
  EXPECT_TRUE(std::is_sorted(t.step_s.begin(), t.step_s.end()));
}

// On the CPU, whose ops return done, the throughput pass's intervals are
// the step times: no extra steps, no synchronize().
TEST(BenchSteps, OnTheCpuTheThroughputStepsAreTimedAndNothingWaits) {
  cpu::CpuBackend<float> cpu(1);
  SyncCounter device;
  std::ostringstream log;
  TrainingRun run(tiny_bench_run(2 + 3), cpu, log);
  device.run = &run;
  const cli::TimedSteps t = cli::time_steps(run, device, false, 2, 3);
  EXPECT_TRUE(device.synced_at.empty());
  EXPECT_EQ(t.step_s.size(), 3u);
  EXPECT_EQ(run.step(), 5);
  EXPECT_GT(t.tokens, 0u);
}
