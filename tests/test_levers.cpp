// Issue 23's training levers: the parameter average (--ema), the pull
// toward the starting weights (--l2sp) and the smaller learning rate for the
// rows the base learnt (--base-rows-lr). The update on small cases computed
// in double, off by default changing nothing, exact resume with both on at
// different thread counts, best holding the evaluated average, and the flags.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <sstream>

#include "test_util.hpp"
#include "train_test_util.hpp"
#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/infer/evaluate.hpp"
#include "wuxia/model/model.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/checkpoint.hpp"
#include "wuxia/train/trainer.hpp"
#include "wuxia/train/training_run.hpp"

using namespace wuxia;

namespace {

Backend<float>& cpu_backend() {
  static cpu::CpuBackend<float> be(2);
  return be;
}

// Two casts: the base learns the first, the fine-tune the second (new characters, so new rows).
const char* kBaseNames =
    "令狐冲\n任我行\n任盈盈\n岳不群\n林平之\n东方不败\n向问天\n风清扬\n田伯光\n仪琳\n"
    "郭靖\n黄蓉\n杨过\n小龙女\n洪七公\n欧阳锋\n黄药师\n一灯大师\n周伯通\n王重阳\n";
const char* kTuneNames =
    "张无忌\n赵敏\n周芷若\n张三丰\n谢逊\n殷素素\n萧峰\n段誉\n虚竹\n王语嫣\n"
    "乔峰\n阿朱\n阿紫\n游坦之\n慕容复\n丁春秋\n苏星河\n李秋水\n天山童姥\n无崖子\n";

TrainOptions cast_run(const test::TempDir& dir, const std::string& out, const char* names) {
  return test::small_run(dir, out, names, std::string(names == kBaseNames ? "base" : "tune") + ".txt");
}

// A base model (6 steps on kBaseNames) in dir/base; returns its last checkpoint.
std::string make_base(const test::TempDir& dir) {
  std::ostringstream log;
  TrainOptions o = cast_run(dir, "base", kBaseNames);
  o.steps = 6;
  train(o, cpu_backend(), log);
  return dir.file("base/last.safetensors");
}

// A fine-tune of `base` on kTuneNames with both levers on.
TrainOptions lever_run(const test::TempDir& dir, const std::string& out, const std::string& base) {
  TrainOptions o = cast_run(dir, out, kTuneNames);
  o.init = base;
  o.settings.lr = 1e-2;
  o.settings.ema = 0.8;
  o.settings.l2sp = 3.0;
  return o;
}

std::vector<double> random_vector(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> x(n);
  for (double& v : x) v = u(gen);
  return x;
}

using test::error_of;

}  // namespace

TEST(Axpby, BlendsByTheTwoWeightsReadFromMemory) {
  const std::vector<double> x{1.0, -2.0, 0.5}, ab{0.25, 0.75};
  std::vector<double> y{4.0, 8.0, -1.0};
  cpu::axpby(x.size(), x.data(), y.data(), ab.data());
  EXPECT_EQ(y, (std::vector<double>{0.25 + 3.0, -0.5 + 6.0, 0.125 - 0.75}));
}

TEST(Ema, DecayWarmsUpThenHoldsAtTheGivenValue) {
  TrainSettings s;
  EXPECT_EQ(ema_decay(s, 5), 0.0) << "off by default";
  s.ema = 0.9;
  EXPECT_DOUBLE_EQ(ema_decay(s, 1), 2.0 / 11.0);
  EXPECT_DOUBLE_EQ(ema_decay(s, 50), 51.0 / 60.0);
  EXPECT_DOUBLE_EQ(ema_decay(s, 80), 0.9) << "(1 + 80) / 90 = 0.9";
  EXPECT_DOUBLE_EQ(ema_decay(s, 100000), 0.9);
}

// One optimizer step with a zero gradient leaves only the two levers: the
// pull p - lr * l2sp * (p - anchor) (AdamW's own update is 0 / (0 + eps)),
// then the average's d * avg + (1 - d) * p.
TEST(Levers, OneStepWithAZeroGradientIsThePullThenTheAverage) {
  cpu::CpuBackend<double> be(1);
  ModelConfig cfg;
  cfg.vocab = 5;
  cfg.embed = 3;
  cfg.hidden = 4;
  cfg.layers = 1;
  Model<double> model(be, cfg);
  const std::size_t n = model.layout().total();
  const std::vector<double> p = random_vector(n, 1), anchor = random_vector(n, 2), avg = random_vector(n, 3);
  model.set_params(p);
  model.set_anchor(anchor);
  model.set_average(avg);
  AdamWArgs a;
  a.lr = 0.1;
  a.weight_decay = 0;
  a.l2sp = 2.0;
  a.ema_decay = 0.75;
  a.clip = 0;
  model.optimizer_step(a);
  const std::vector<double> p1 = model.get_params(), avg1 = model.get_average();
  for (std::size_t i = 0; i < n; ++i) {
    const double want = p[i] - 0.1 * 2.0 * (p[i] - anchor[i]);
    ASSERT_NEAR(p1[i], want, 1e-15) << i;
    ASSERT_NEAR(avg1[i], 0.75 * avg[i] + 0.25 * want, 1e-15) << i;
  }
}

// With neither lever the optimizer issues exactly the ops it did before them.
TEST(Levers, OffTheOptimizerStepIsPlainAdamWBitForBit) {
  cpu::CpuBackend<float> be(1);
  ModelConfig cfg;
  cfg.vocab = 7;
  cfg.embed = 4;
  cfg.hidden = 5;
  cfg.layers = 1;
  Model<float> model(be, cfg);
  const std::size_t n = model.layout().total();
  std::vector<float> p(n), g(n), m(n, 0.0f), v(n, 0.0f);
  const auto pd = random_vector(n, 4), gd = random_vector(n, 5);
  std::copy(pd.begin(), pd.end(), p.begin());
  std::copy(gd.begin(), gd.end(), g.begin());
  model.set_params(p);
  model.grads().upload(g.data(), n);
  TrainSettings s;  // the defaults: weight decay 0.1, clip 1, no levers
  const AdamWArgs a = adamw_args(s, 3);
  model.optimizer_step(a);
  float norm = 0;
  cpu::grad_norm(n, g.data(), &norm);
  cpu::adamw_step(n, p.data(), g.data(), m.data(), v.data(), &norm, AdamWScalars<float>::from(a));
  EXPECT_TRUE(test::bit_equal(model.get_params(), p));
  EXPECT_FALSE(model.has_average());
}

TEST(Levers, OffByDefaultACheckpointHoldsNeitherTheirTensorsNorTheirSettings) {
  test::TempDir dir;
  std::ostringstream log;
  TrainOptions o = cast_run(dir, "run", kBaseNames);
  o.steps = 3;
  train(o, cpu_backend(), log);
  for (const char* f : {"run/last.safetensors", "run/best.safetensors"}) {
    const std::string bytes = test::read_file(dir.file(f));
    ASSERT_GT(bytes.size(), 8u);
    uint64_t len = 0;
    for (int k = 7; k >= 0; --k) len = len << 8 | static_cast<unsigned char>(bytes[k]);
    const std::string header = bytes.substr(8, len);
    ASSERT_NE(header.find("\"embedding.weight\""), std::string::npos) << "the header was read";
    EXPECT_EQ(header.find("\"ema."), std::string::npos) << f;
    EXPECT_EQ(header.find("\"anchor."), std::string::npos) << f;
    EXPECT_EQ(header.find("ema\\\":"), std::string::npos) << f;
    EXPECT_EQ(header.find("l2sp"), std::string::npos) << f;
    EXPECT_EQ(header.find("base_rows"), std::string::npos) << f;
    const Checkpoint ck = load_checkpoint(dir.file(f));
    EXPECT_EQ(ck.settings.ema, 0.0);
    EXPECT_EQ(ck.settings.l2sp, 0.0);
    EXPECT_TRUE(ck.average.empty());
    EXPECT_TRUE(ck.anchor.empty());
    EXPECT_EQ(ck.settings.base_rows_lr, 1.0);
    EXPECT_TRUE(ck.base_rows.empty());
  }
}

// A model of V=7 whose tokens 0, 2, 3 and 5 the base had: one optimizer step
// on the same gradients, with --base-rows-lr F (the marked rows) and without.
struct BaseRowsStep {
  ModelConfig cfg;
  std::vector<uint8_t> tokens{1, 0, 1, 1, 0, 1, 0};
  std::vector<float> p0, g;
  BaseRowsStep() {
    cfg.vocab = 7;
    cfg.embed = 4;
    cfg.hidden = 5;
    cfg.layers = 1;
    const std::size_t n = ParamLayout(cfg).total();
    const auto pd = random_vector(n, 14), gd = random_vector(n, 15);
    p0.assign(pd.begin(), pd.end());
    g.assign(gd.begin(), gd.end());
  }
  // The parameters after the step; `marked`: whether set_marked_rows was called.
  std::vector<float> step(double factor, bool marked) const {
    cpu::CpuBackend<float> be(1);
    Model<float> model(be, cfg);
    model.set_params(p0);
    if (marked) model.set_marked_rows(tokens);
    model.grads().upload(g.data(), g.size());
    TrainSettings s;  // weight decay 0.1, clip 1
    s.base_rows_lr = factor;
    model.optimizer_step(adamw_args(s, 3));
    return model.get_params();
  }
};

TEST(BaseRowsLr, AtOneTheMarkedRowsStepAsPlainAdamWBitForBit) {
  const BaseRowsStep t;
  EXPECT_TRUE(test::bit_equal(t.step(1.0, true), t.step(1.0, false)));
}

// The marked rows (embedding and output rows and bias entries of the base's
// tokens) move less; every other element (new tokens' rows, the LSTM's)
// exactly as without the flag.
TEST(BaseRowsLr, BaseRowsMoveLessAndEverythingElseTheSame) {
  const BaseRowsStep t;
  const std::vector<float> slow = t.step(0.25, true), full = t.step(1.0, false);
  const std::vector<uint8_t> mask = token_rows_mask(t.cfg, t.tokens);
  const ParamLayout layout(t.cfg);
  std::size_t marked = 0;
  double moved = 0, moved_full = 0;
  for (std::size_t i = 0; i < mask.size(); ++i) {
    if (!mask[i]) {
      EXPECT_EQ(slow[i], full[i]) << "element " << i;
      continue;
    }
    ++marked;
    moved += std::abs(slow[i] - t.p0[i]);
    moved_full += std::abs(full[i] - t.p0[i]);
  }
  // 4 of the 7 tokens: their embedding rows (E), output rows (H) and biases.
  EXPECT_EQ(marked, 4u * (t.cfg.embed + t.cfg.hidden + 1));
  EXPECT_EQ(mask[layout.at("fc.bias").offset + 1], 0);
  EXPECT_EQ(mask[layout.at("fc.bias").offset + 2], 1);
  // AdamW's step is about lr per element at step 3: a quarter of it, plus the decay.
  EXPECT_GT(moved, 0.0);
  EXPECT_LT(moved, 0.3 * moved_full);
}

// Which rows are the base's: END, the START of each style the base had and
// each character it had; a new style's START and new characters are not.
TEST(BaseRowsLr, TheBaseRowsAreTheTokensTheBaseHadAndSurviveResume) {
  test::TempDir dir;
  const std::string base = make_base(dir);
  std::ostringstream log;
  TrainOptions o = cast_run(dir, "tune", kTuneNames);
  o.data[0].style = "tune";  // a new style next to the base's "names"
  o.init = base;
  o.settings.base_rows_lr = 0.3;
  o.steps = 4;
  train(o, cpu_backend(), log);
  const Checkpoint b = load_checkpoint(base);
  const Checkpoint ck = load_checkpoint(dir.file("tune/last.safetensors"));
  EXPECT_EQ(ck.settings.base_rows_lr, 0.3);
  const Vocab v = ck.vocab(), bv = b.vocab();
  ASSERT_EQ(ck.base_rows.size(), static_cast<std::size_t>(v.size()));
  EXPECT_EQ(ck.base_rows[kEnd], 1);
  EXPECT_EQ(ck.base_rows[v.start_id(v.style_index("names"))], 1);
  EXPECT_EQ(ck.base_rows[v.start_id(v.style_index("tune"))], 0);
  std::size_t old_chars = 0, new_chars = 0;
  for (int32_t t = 0; t < v.size(); ++t) {
    if (!v.is_char(t)) continue;
    const bool had = bv.id_of(v.char_of(t)) >= 0;
    EXPECT_EQ(ck.base_rows[t], had ? 1 : 0) << "token " << t;
    ++(had ? old_chars : new_chars);
  }
  EXPECT_GT(old_chars, 0u);
  EXPECT_GT(new_chars, 0u);
}

// The average after each step, recomputed in double from the parameters
// the run went through, and evaluate() judging the average, not the weights.
TEST(Ema, TheAverageFollowsTheParametersAndIsWhatEvaluateJudges) {
  test::TempDir dir;
  std::ostringstream log;
  TrainOptions o = cast_run(dir, "run", kBaseNames);
  o.steps = 8;
  o.settings.ema = 0.7;
  TrainingRun run(o, cpu_backend(), log);
  const std::vector<float> p0 = run.model().get_params();
  std::vector<double> avg(p0.begin(), p0.end());
  EXPECT_TRUE(test::bit_equal(run.model().get_average(), p0)) << "the average starts at the starting weights";
  for (int64_t s = 1; s <= 8; ++s) {
    run.take_step();
    const std::vector<float> p = run.model().get_params();
    const double d = ema_decay(run.settings(), s);
    for (std::size_t i = 0; i < avg.size(); ++i) avg[i] = d * avg[i] + (1 - d) * p[i];
  }
  const std::vector<float> got = run.model().get_average(), p = run.model().get_params();
  double far_from_p = 0;
  for (std::size_t i = 0; i < avg.size(); ++i) {
    ASSERT_NEAR(got[i], avg[i], 1e-6) << i;
    far_from_p = std::max(far_from_p, std::abs(avg[i] - p[i]));
  }
  EXPECT_GT(far_from_p, 1e-3) << "the average lags the weights (else this test shows nothing)";

  const double judged = run.evaluate();
  EXPECT_TRUE(test::bit_equal(run.model().get_params(), p)) << "evaluate() puts the weights back";
  Model<float> avg_model(cpu_backend(), run.checkpoint().config);
  avg_model.set_params(got);
  EXPECT_EQ(judged, evaluate(avg_model, run.val_examples(), run.eval_batch()).loss());
}

TEST(Ema, BestHoldsTheEvaluatedAverageAndCannotBeResumed) {
  test::TempDir dir;
  std::ostringstream log;
  TrainOptions o = cast_run(dir, "run", kBaseNames);
  o.steps = 3;
  o.eval_every = 3;
  o.settings.ema = 0.5;
  train(o, cpu_backend(), log);
  const Checkpoint last = load_checkpoint(dir.file("run/last.safetensors"));
  const Checkpoint best = load_checkpoint(dir.file("run/best.safetensors"));
  ASSERT_EQ(last.state.best_step, 3) << "one evaluation: the best is the last step";
  EXPECT_TRUE(test::bit_equal(best.params, last.average));
  EXPECT_FALSE(test::bit_equal(best.params, last.params));
  EXPECT_TRUE(best.average.empty() && best.adam_m.empty()) << "best holds the model only";
  Model<float> m(cpu_backend(), best.config);
  m.set_params(best.params);
  const Vocab vocab = best.vocab();
  EXPECT_EQ(evaluate(m, encode_names(vocab, best.val_names), 256).loss(), best.state.best_val_loss);

  TrainOptions again;
  again.resume = dir.file("run/best.safetensors");
  again.out_dir = dir.file("run");
  again.steps = 6;
  again.quiet = true;
  const std::string e = error_of([&] { train(again, cpu_backend(), log); });
  EXPECT_NE(e.find("resume from the run's last.safetensors"), std::string::npos) << e;
}

// The condition: exact resume with the levers' state. The straight
// run on 1 thread, the interrupted one and its continuation on 3.
TEST(Levers, ResumeWithEmaL2spAndBaseRowsLrIsBitForBitAtAnyThreadCount) {
  test::TempDir dir;
  const std::string base = make_base(dir);
  std::ostringstream log;
  cpu::set_threads(1);
  TrainOptions straight = lever_run(dir, "straight", base);
  straight.settings.base_rows_lr = 0.4;
  straight.steps = 12;
  train(straight, cpu_backend(), log);
  cpu::set_threads(3);
  TrainOptions first = lever_run(dir, "split", base);
  first.settings.base_rows_lr = 0.4;
  first.steps = 7;
  train(first, cpu_backend(), log);
  TrainOptions rest = test::resumed_run(dir, "split", 12);
  rest.settings.ema = 0.8;
  rest.given = {"ema"};  // repeated with the checkpoint's value: accepted
  train(rest, cpu_backend(), log);
  cpu::set_threads(2);
  const Checkpoint a = load_checkpoint(dir.file("straight/last.safetensors"));
  const Checkpoint b = load_checkpoint(dir.file("split/last.safetensors"));
  EXPECT_EQ(b.state.step, 12);
  EXPECT_EQ(b.settings.ema, 0.8);
  EXPECT_EQ(b.settings.l2sp, 3.0);
  EXPECT_EQ(b.settings.base_rows_lr, 0.4);
  EXPECT_FALSE(b.base_rows.empty());
  EXPECT_EQ(a.base_rows, b.base_rows);
  EXPECT_TRUE(test::bit_equal(a.params, b.params));
  EXPECT_TRUE(test::bit_equal(a.adam_v, b.adam_v));
  EXPECT_TRUE(test::bit_equal(a.average, b.average));
  EXPECT_TRUE(test::bit_equal(a.anchor, b.anchor));
  EXPECT_FALSE(a.average.empty() || a.anchor.empty());
  EXPECT_EQ(a.state.best_val_loss, b.state.best_val_loss);
  EXPECT_TRUE(test::bit_equal(load_checkpoint(dir.file("straight/best.safetensors")).params,
                              load_checkpoint(dir.file("split/best.safetensors")).params));
}

// The anchor is the fine-tune's starting point: the base's rows where it
// had them; and the pull keeps the weights nearer to it than weight decay.
TEST(L2sp, AnchorIsTheStartAndThePullKeepsTheWeightsNearIt) {
  test::TempDir dir;
  const std::string base = make_base(dir);
  std::ostringstream log;
  auto distance = [](const Checkpoint& ck) {
    double d = 0;
    for (std::size_t i = 0; i < ck.params.size(); ++i) d += std::pow(ck.params[i] - ck.anchor[i], 2);
    return std::sqrt(d);
  };
  TrainOptions o = lever_run(dir, "pulled", base);
  o.settings.ema = 0;
  o.settings.l2sp = 20.0;
  o.steps = 12;
  TrainingRun start(o, cpu_backend(), log);
  const Checkpoint& s = start.checkpoint();
  EXPECT_TRUE(test::bit_equal(s.anchor, s.params)) << "the anchor is where the fine-tune starts";
  train(o, cpu_backend(), log);
  const Checkpoint pulled = load_checkpoint(dir.file("pulled/last.safetensors"));
  TrainOptions p = lever_run(dir, "free", base);
  p.settings.ema = 0;
  p.settings.l2sp = 1e-9;  // on (so the anchor is kept to measure against), but too weak to pull
  p.steps = 12;
  train(p, cpu_backend(), log);
  const Checkpoint free = load_checkpoint(dir.file("free/last.safetensors"));
  EXPECT_LT(distance(pulled), 0.8 * distance(free));
}

TEST(Levers, BadValuesAndChangesOnResumeAreRefusedNamingTheFlag) {
  test::TempDir dir;
  std::ostringstream log;
  TrainOptions o = cast_run(dir, "run", kBaseNames);
  o.steps = 3;
  o.settings.ema = 1.0;
  EXPECT_NE(error_of([&] { train(o, cpu_backend(), log); }).find("--ema must be in [0, 1)"), std::string::npos);
  o.settings.ema = 0;
  o.settings.l2sp = -1;
  EXPECT_NE(error_of([&] { train(o, cpu_backend(), log); }).find("--l2sp must be 0 (off) or more"), std::string::npos);
  o.settings.l2sp = 1;
  EXPECT_NE(error_of([&] { train(o, cpu_backend(), log); }).find("--l2sp pulls toward"), std::string::npos)
      << "no --init: nothing to stay near";
  o.settings.l2sp = 0;
  for (const double f : {0.0, -0.5, 1.5}) {
    o.settings.base_rows_lr = f;
    EXPECT_NE(error_of([&] { train(o, cpu_backend(), log); }).find("--base-rows-lr must be in (0, 1]"),
              std::string::npos)
        << f;
  }
  o.settings.base_rows_lr = 0.5;
  EXPECT_NE(error_of([&] { train(o, cpu_backend(), log); }).find("--base-rows-lr slows the rows"), std::string::npos)
      << "no --init: no base rows";
  o.settings.base_rows_lr = 1;
  o.given = {"base-rows-lr"};
  EXPECT_NE(error_of([&] { train(o, cpu_backend(), log); }).find("--base-rows-lr slows the rows"), std::string::npos)
      << "given as 1 without --init: refused all the same";
  o.given.clear();
  train(o, cpu_backend(), log);
  TrainOptions rest;
  rest.resume = dir.file("run/last.safetensors");
  rest.out_dir = dir.file("run");
  rest.steps = 6;
  rest.quiet = true;
  rest.settings.ema = 0.99;
  rest.given = {"ema"};
  EXPECT_NE(error_of([&] { train(rest, cpu_backend(), log); }).find("--ema 0.99 cannot change on --resume"),
            std::string::npos);
  rest.settings.ema = 0;
  rest.settings.l2sp = 0.5;
  rest.given = {"l2sp"};
  EXPECT_NE(error_of([&] { train(rest, cpu_backend(), log); }).find("--l2sp 0.5 cannot change on --resume"),
            std::string::npos);
  rest.settings.l2sp = 0;
  rest.settings.base_rows_lr = 0.5;
  rest.given = {"base-rows-lr"};
  EXPECT_NE(error_of([&] { train(rest, cpu_backend(), log); }).find("--base-rows-lr 0.5 cannot change on --resume"),
            std::string::npos);
}

TEST(Levers, TheCommandLineRefusesBadValuesNamingTheFlag) {
  test::TempDir dir;
  test::write_file(dir.file("n.txt"), kBaseNames);
  const std::string common = " --data " + dir.file("n.txt") + " --out " + dir.file("o") + " --steps 1 --from-scratch";
  const test::RunResult a = test::run_wuxia("train --ema 1.5" + common);
  EXPECT_NE(a.code, 0);
  EXPECT_NE(a.out.find("--ema must be in [0, 1)"), std::string::npos) << a.out;
  const test::RunResult b = test::run_wuxia("train --l2sp -2" + common);
  EXPECT_NE(b.code, 0);
  EXPECT_NE(b.out.find("--l2sp must be 0 (off) or more"), std::string::npos) << b.out;
  const test::RunResult c = test::run_wuxia("train --l2sp 2" + common);
  EXPECT_NE(c.code, 0);
  EXPECT_NE(c.out.find("--l2sp pulls toward"), std::string::npos) << c.out;
  const test::RunResult d = test::run_wuxia("train --base-rows-lr 0" + common);
  EXPECT_NE(d.code, 0);
  EXPECT_NE(d.out.find("--base-rows-lr must be in (0, 1]"), std::string::npos) << d.out;
  const test::RunResult e = test::run_wuxia("train --base-rows-lr 0.5" + common);
  EXPECT_NE(e.code, 0);
  EXPECT_NE(e.out.find("--base-rows-lr slows the rows"), std::string::npos) << e.out;
}

namespace {
// kTuneNames as two styles, cut before `at`: names up to it in style `a`,
// the rest in style `b`.
TrainOptions split_styles(const test::TempDir& dir, const std::string& out, const char* at, const std::string& a,
                          const std::string& b) {
  const std::string names(kTuneNames);
  const std::size_t cut = names.find(at);
  test::write_file(dir.file(a + ".txt"), names.substr(0, cut));
  test::write_file(dir.file(b + ".txt"), names.substr(cut));
  TrainOptions o = cast_run(dir, out, kTuneNames);
  o.data = {{a, dir.file(a + ".txt")}, {b, dir.file(b + ".txt")}};
  return o;
}

// A fine-tune of `base` on kTuneNames split into two styles new to it
// (the default route's two casts), with --new-styles-lr `factor`.
TrainOptions two_new_styles(const test::TempDir& dir, const std::string& out, const std::string& base, double factor) {
  TrainOptions o = split_styles(dir, out, "乔峰", "first", "second");
  o.init = base;
  o.settings.new_styles_lr = factor;
  return o;
}
}  // namespace

// Two new styles start as the same mean row; --new-styles-lr speeds up
// exactly their START tokens' rows (embedding, output row, bias), so that
// they part: after one step every other element, the new characters' rows
// and the base's START included, is bit for bit the run without the flag.
TEST(NewStylesLr, OnlyTheNewStylesStartRowsStepFaster) {
  test::TempDir dir;
  const std::string base = make_base(dir);
  std::ostringstream log;
  auto one_step = [&](const std::string& out, double factor) {
    TrainOptions o = two_new_styles(dir, out, base, factor);
    o.steps = 1;
    train(o, cpu_backend(), log);
    return load_checkpoint(dir.file(out + "/last.safetensors"));
  };
  const Checkpoint plain = one_step("plain", 1.0), fast = one_step("fast", 50.0);
  const Checkpoint start = TrainingRun(two_new_styles(dir, "start", base, 50.0), cpu_backend(), log).checkpoint();
  EXPECT_EQ(fast.settings.new_styles_lr, 50.0);
  const Vocab v = fast.vocab();
  std::vector<uint8_t> tokens(static_cast<std::size_t>(v.size()), 0);
  for (const char* s : {"first", "second"}) tokens[static_cast<std::size_t>(v.start_id(v.style_index(s)))] = 1;
  const auto mask = token_rows_mask(fast.config, tokens);
  double moved_fast = 0, moved_plain = 0;
  std::size_t marked = 0;
  for (std::size_t i = 0; i < mask.size(); ++i) {
    if (!mask[i]) {
      ASSERT_EQ(plain.params[i], fast.params[i]) << "element " << i << " is not a new style's START row";
      continue;
    }
    ++marked;
    moved_fast += std::abs(fast.params[i] - start.params[i]);
    moved_plain += std::abs(plain.params[i] - start.params[i]);
  }
  EXPECT_EQ(marked, 2u * (fast.config.embed + fast.config.hidden + 1));
  EXPECT_GT(moved_fast, 10 * moved_plain);
  // They start alike (the mean of the base's START rows).
  const ParamLayout layout(start.config);
  const ParamInfo& emb = layout.at("embedding.weight");
  const std::size_t e = static_cast<std::size_t>(start.config.embed);
  const float* first =
      start.params.data() + emb.offset + e * static_cast<std::size_t>(v.start_id(v.style_index("first")));
  const float* second =
      start.params.data() + emb.offset + e * static_cast<std::size_t>(v.start_id(v.style_index("second")));
  EXPECT_TRUE(std::equal(first, first + e, second));
}

TEST(NewStylesLr, ResumeIsBitForBit) {
  test::TempDir dir;
  const std::string base = make_base(dir);
  std::ostringstream log;
  TrainOptions straight = two_new_styles(dir, "straight", base, 30.0);
  straight.steps = 8;
  train(straight, cpu_backend(), log);
  TrainOptions first = two_new_styles(dir, "split", base, 30.0);
  first.steps = 4;
  train(first, cpu_backend(), log);
  train(test::resumed_run(dir, "split", 8), cpu_backend(), log);
  const Checkpoint a = load_checkpoint(dir.file("straight/last.safetensors"));
  const Checkpoint b = load_checkpoint(dir.file("split/last.safetensors"));
  EXPECT_EQ(b.settings.new_styles_lr, 30.0);
  EXPECT_FALSE(b.base_rows.empty());
  EXPECT_TRUE(test::bit_equal(a.params, b.params));
  EXPECT_TRUE(test::bit_equal(a.adam_v, b.adam_v));
}

TEST(NewStylesLr, BadValuesAreRefusedNamingTheFlag) {
  test::TempDir dir;
  const std::string base = make_base(dir);
  std::ostringstream log;
  TrainOptions o = two_new_styles(dir, "run", base, 0.5);
  o.steps = 2;
  EXPECT_NE(error_of([&] { train(o, cpu_backend(), log); }).find("--new-styles-lr must be 1 (off) or more"),
            std::string::npos);
  o.settings.new_styles_lr = 10;
  o.settings.base_rows_lr = 0.5;
  EXPECT_NE(
      error_of([&] { train(o, cpu_backend(), log); }).find("--new-styles-lr and --base-rows-lr do not go together"),
      std::string::npos);
  o.settings.base_rows_lr = 1;
  o.init.clear();
  EXPECT_NE(error_of([&] { train(o, cpu_backend(), log); }).find("--new-styles-lr speeds up"), std::string::npos)
      << "no --init: no style is new";
  o.init = base;
  train(o, cpu_backend(), log);
  TrainOptions rest = test::resumed_run(dir, "run", 4);
  rest.settings.new_styles_lr = 20;
  rest.given = {"new-styles-lr"};
  const std::string e = error_of([&] { train(rest, cpu_backend(), log); });
  EXPECT_NE(e.find("--new-styles-lr 20 cannot change on --resume"), std::string::npos) << e;
}

namespace {
// kTuneNames as two styles, 15 names and 5: --balance-styles repeats the
// second three times an epoch.
TrainOptions uneven_styles(const test::TempDir& dir, const std::string& out) {
  TrainOptions o = split_styles(dir, out, "慕容复", "many", "few");
  o.val_path.clear();
  o.settings.balance_styles = true;
  return o;
}
}  // namespace

TEST(BalanceStyles, TheSmallStyleIsRepeatedToTheLargeOnesCount) {
  test::TempDir dir;
  std::ostringstream log;
  TrainOptions o = uneven_styles(dir, "run");
  o.quiet = false;
  o.steps = 1;
  TrainingRun run(o, cpu_backend(), log);
  const Checkpoint& ck = run.checkpoint();
  ASSERT_EQ(ck.train_names.size(), 2u);
  const std::size_t many = ck.train_names[0].size(), few = ck.train_names[1].size();
  ASSERT_GT(many, 2 * few) << "the split leaves the second style the smaller";
  const std::size_t reps = (many + few / 2) / few;
  EXPECT_NE(log.str().find("train: " + std::to_string(many + few) + " names (" + std::to_string(many + reps * few) +
                           " with --balance-styles)"),
            std::string::npos)
      << log.str();
  o.settings.balance_styles = false;
  std::ostringstream plain_log;
  TrainingRun plain(o, cpu_backend(), plain_log);
  EXPECT_NE(plain_log.str().find("train: " + std::to_string(many + few) + " names, "), std::string::npos)
      << plain_log.str();
}

TEST(BalanceStyles, ResumeIsBitForBitAndTheSettingCannotChange) {
  test::TempDir dir;
  std::ostringstream log;
  TrainOptions straight = uneven_styles(dir, "straight");
  straight.steps = 8;
  train(straight, cpu_backend(), log);
  TrainOptions first = uneven_styles(dir, "split");
  first.steps = 4;
  train(first, cpu_backend(), log);
  train(test::resumed_run(dir, "split", 8), cpu_backend(), log);
  const Checkpoint a = load_checkpoint(dir.file("straight/last.safetensors"));
  const Checkpoint b = load_checkpoint(dir.file("split/last.safetensors"));
  EXPECT_TRUE(b.settings.balance_styles);
  EXPECT_TRUE(test::bit_equal(a.params, b.params));
  TrainOptions off = test::resumed_run(dir, "split", 10);
  off.given = {"balance-styles"};  // given as false
  const std::string e = error_of([&] { train(off, cpu_backend(), log); });
  EXPECT_NE(e.find("--balance-styles off cannot change on --resume: the checkpoint has on"), std::string::npos) << e;
}

namespace {
// uneven_styles with --balance-patience 1 and an evaluation every step, at a
// rate that overfits the small style's five names within a few steps.
TrainOptions patient_styles(const test::TempDir& dir, const std::string& out, int64_t steps) {
  TrainOptions o = uneven_styles(dir, out);
  o.settings.balance_patience = 1;
  o.settings.lr = 3e-2;
  o.eval_every = 1;
  o.steps = steps;
  return o;
}
}  // namespace

// --balance-patience: the small style's names are repeated until its own
// validation loss stops improving, then once an epoch; the large style's,
// repeated once anyway, are not judged.
TEST(BalancePatience, AStylesRepetitionEndsWhenItsOwnValidationTurns) {
  test::TempDir dir;
  std::ostringstream log;
  TrainOptions o = patient_styles(dir, "run", 12);
  o.quiet = false;
  train(o, cpu_backend(), log);
  const Checkpoint ck = load_checkpoint(dir.file("run/last.safetensors"));
  ASSERT_EQ(ck.state.styles.size(), 2u);
  ASSERT_FALSE(ck.val_names[1].empty()) << "the small style needs validation names of its own";
  EXPECT_TRUE(ck.state.styles[0].repeated);
  EXPECT_FALSE(std::isfinite(ck.state.styles[0].best_val_loss)) << "a style repeated once is not judged";
  EXPECT_FALSE(ck.state.styles[1].repeated) << log.str();
  EXPECT_TRUE(std::isfinite(ck.state.styles[1].best_val_loss));
  EXPECT_NE(log.str().find("few's own validation loss has not improved for 1 evaluations: its names are no longer "
                           "repeated (--balance-patience)"),
            std::string::npos)
      << log.str();
}

// A run resumed before or after a style's repetition ended draws the
// batches the straight run drew: the state says which styles are no longer
// repeated, and the resumed run ends a repetition as the straight one does.
TEST(BalancePatience, ResumeIsBitForBitOnEitherSideOfTheEnd) {
  test::TempDir dir;
  std::ostringstream log;
  train(patient_styles(dir, "straight", 16), cpu_backend(), log);
  const Checkpoint a = load_checkpoint(dir.file("straight/last.safetensors"));
  ASSERT_FALSE(a.state.styles.at(1).repeated);
  for (int64_t at : {4, 10}) {
    const std::string out = "split" + std::to_string(at);
    train(patient_styles(dir, out, at), cpu_backend(), log);
    const bool ended = !load_checkpoint(dir.file(out + "/last.safetensors")).state.styles.at(1).repeated;
    EXPECT_EQ(ended, at == 10) << "the repetition ends at step 9: the test wants one resume on each side";
    TrainOptions rest = test::resumed_run(dir, out, 16);
    rest.eval_every = 1;
    train(rest, cpu_backend(), log);
    const Checkpoint b = load_checkpoint(dir.file(out + "/last.safetensors"));
    EXPECT_TRUE(test::bit_equal(a.params, b.params)) << "resumed at step " << at;
    EXPECT_EQ(b.state.styles.at(1).best_val_loss, a.state.styles.at(1).best_val_loss);
  }
}

TEST(BalancePatience, BadValuesAreRefusedByFlag) {
  test::TempDir dir;
  std::ostringstream log;
  TrainOptions o = patient_styles(dir, "run", 2);
  o.settings.balance_patience = -1;
  EXPECT_NE(error_of([&] { train(o, cpu_backend(), log); }).find("--balance-patience must be 0 (off) or more"),
            std::string::npos);
  o.settings.balance_patience = 3;
  o.settings.balance_styles = false;
  EXPECT_NE(error_of([&] { train(o, cpu_backend(), log); })
                .find("--balance-patience ends the repetition of --balance-styles, which is off"),
            std::string::npos);
  o.settings.balance_styles = true;
  train(o, cpu_backend(), log);
  TrainOptions rest = test::resumed_run(dir, "run", 4);
  rest.settings.balance_patience = 5;  // --balance-styles not given: the checkpoint's
  rest.given = {"balance-patience"};
  const std::string e = error_of([&] { train(rest, cpu_backend(), log); });
  EXPECT_NE(e.find("--balance-patience 5 cannot change on --resume: the checkpoint has 3"), std::string::npos) << e;
}

// --keep-last: best.safetensors is the last evaluation's weights, however
// the validation loss went, and --patience stops nothing.
TEST(KeepLast, BestHoldsTheLastEvaluatedWeights) {
  test::TempDir dir;
  std::ostringstream log;
  TrainOptions o = cast_run(dir, "run", kTuneNames);
  o.settings.lr = 5e-2;  // overfits, so that the best validation loss is not the last
  o.settings.keep_last = true;
  o.steps = 12;
  o.patience = 1;
  const TrainResult r = train(o, cpu_backend(), log);
  EXPECT_EQ(r.steps, 12) << "--patience stopped the run";
  EXPECT_EQ(r.best_step, 12);
  const Checkpoint best = load_checkpoint(dir.file("run/best.safetensors"));
  const Checkpoint last = load_checkpoint(dir.file("run/last.safetensors"));
  EXPECT_TRUE(test::bit_equal(best.params, last.params));
  EXPECT_TRUE(last.settings.keep_last);
  o.settings.keep_last = false;
  o.out_dir = dir.file("plain");
  const TrainResult plain = train(o, cpu_backend(), log);
  EXPECT_LT(plain.best_step, 12) << "at this rate the validation loss turns: without the flag the test cannot tell";
}
