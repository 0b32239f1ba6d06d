// Issue 29's regularisers (AWD-LSTM, Merity et al. 2017): DropConnect on the
// recurrent weights (--weight-drop), locked dropout (--locked-dropout) and
// embedding dropout (--embed-dropout). The two new ops' masks, the whole
// model's gradient by finite differences in double with each on, off
// changing nothing, exact resume, and the flags.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <set>
#include <sstream>

#include "model_test_util.hpp"
#include "test_util.hpp"
#include "train_test_util.hpp"
#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/model/model.hpp"
#include "wuxia/model/rng.hpp"
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

using test::error_of;

using test::tiny_batch;
using test::tiny_config;

// Every parameter's gradient against finite differences with `so`'s masks
// (fixed by seed and step, so the same in every call).
void gradient_check(double dropout, StepOptions so) {
  so.train = true;
  test::expect_gradients_match_finite_differences(tiny_config(dropout), so);
}

StepOptions keyed(uint64_t seed, uint64_t step) {
  StepOptions so;
  so.seed = seed;
  so.step = step;
  return so;
}

// The summed NLL of tiny_batch on a fresh tiny model under `so`.
double tiny_loss(const StepOptions& so, double dropout = 0.0) {
  const ModelConfig cfg = tiny_config(dropout);
  cpu::CpuBackend<double> be;
  Model<double> model(be, cfg);
  model.set_params(init_params(cfg, 1));
  return model.forward(tiny_batch(cfg.vocab), so);
}

}  // namespace

// ---------------------------------------------------------------- the ops

TEST(LockedDropout, EveryStepKeepsTheSameUnitsAboutOneMinusPOfThem) {
  const std::size_t steps = 6, width = 20000, n = steps * width + 7;  // a partial last step too
  std::vector<float> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = 1.0f + static_cast<float>(i % 5);
  cpu::locked_dropout<float>(n, width, 0.3, 1, rng::kLockedDropout, 2, x.data(), y.data());
  std::size_t kept = 0;
  for (std::size_t j = 0; j < width; ++j) {
    const bool keep = y[j] != 0.0f;
    kept += keep;
    for (std::size_t i = j; i < n; i += width) {
      ASSERT_EQ(y[i] != 0.0f, keep) << "unit " << j << " at step " << i / width;
      if (keep) ASSERT_EQ(y[i], x[i] * (1.0f / 0.7f));
    }
  }
  EXPECT_NEAR(static_cast<double>(kept) / width, 0.7, 0.01);
  std::vector<float> again(n), other(n);
  cpu::locked_dropout<float>(n, width, 0.3, 1, rng::kLockedDropout, 2, x.data(), again.data());
  EXPECT_EQ(again, y) << "the mask is a function of (seed, purpose, step, unit)";
  cpu::locked_dropout<float>(n, width, 0.3, 1, rng::kLockedDropout, 3, x.data(), other.data());
  EXPECT_NE(other, y) << "another step, another mask";
  // In place, as the backward pass runs it.
  cpu::locked_dropout<float>(n, width, 0.3, 1, rng::kLockedDropout, 2, x.data(), x.data());
  EXPECT_EQ(x, y);
}

TEST(EmbeddingDropout, EveryOccurrenceOfATokenIsDroppedTogether) {
  const int vocab = 20000, e = 3, n = 3 * vocab;
  std::vector<int32_t> ids(n);
  for (int r = 0; r < n; ++r) ids[r] = (r * 7919) % vocab;  // each token three times, spread out
  std::vector<double> x(static_cast<std::size_t>(n) * e), y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.5 + static_cast<double>(i % 11);
  cpu::embedding_dropout<double>(n, e, ids.data(), 0.25, 9, rng::kEmbedDropout, 4, x.data(), y.data());
  std::vector<int> fate(vocab, -1);
  std::size_t kept_rows = 0;
  for (int r = 0; r < n; ++r) {
    const double* row = y.data() + static_cast<std::size_t>(r) * e;
    const bool keep = row[0] != 0.0;
    for (int c = 0; c < e; ++c) {
      ASSERT_EQ(row[c], keep ? x[static_cast<std::size_t>(r) * e + c] * (1.0 / 0.75) : 0.0) << "row " << r;
    }
    if (fate[ids[r]] < 0) fate[ids[r]] = keep;
    ASSERT_EQ(fate[ids[r]], static_cast<int>(keep)) << "token " << ids[r] << " kept at one place, dropped at another";
    kept_rows += keep;
  }
  EXPECT_NEAR(static_cast<double>(kept_rows) / n, 0.75, 0.015);
  // Its backward is the same call on the gradient, in place.
  cpu::embedding_dropout<double>(n, e, ids.data(), 0.25, 9, rng::kEmbedDropout, 4, x.data(), x.data());
  EXPECT_EQ(x, y);
}

// ---------------------------------------------------------------- the model

TEST(Regularisers, GradientMatchesFiniteDifferencesWithWeightDrop) {
  StepOptions so = keyed(9, 3);
  so.weight_drop = 0.4;
  gradient_check(0.0, so);
}

TEST(Regularisers, GradientMatchesFiniteDifferencesWithLockedDropout) {
  StepOptions so = keyed(9, 3);
  so.locked_dropout = 0.4;
  gradient_check(0.0, so);
}

TEST(Regularisers, GradientMatchesFiniteDifferencesWithEmbeddingDropout) {
  StepOptions so = keyed(9, 3);
  so.embed_dropout = 0.4;
  gradient_check(0.0, so);
}

TEST(Regularisers, GradientMatchesFiniteDifferencesWithAllOfThemAndDropout) {
  StepOptions so = keyed(5, 8);
  so.weight_drop = 0.3;
  so.locked_dropout = 0.3;
  so.embed_dropout = 0.3;
  gradient_check(0.3, so);
}

// Each mask is really applied in training, and none in evaluation (where
// the masks' expected value, the plain weights, is what runs).
TEST(Regularisers, EachChangesTheTrainingLossAndNoneTheEvaluation) {
  StepOptions plain = keyed(9, 3);
  plain.train = true;
  const double base = tiny_loss(plain);
  for (double StepOptions::*lever : {&StepOptions::weight_drop, &StepOptions::locked_dropout,
                                     &StepOptions::embed_dropout}) {
    StepOptions on = plain;
    on.*lever = 0.5;
    EXPECT_NE(tiny_loss(on), base);
    on.train = false;
    EXPECT_EQ(tiny_loss(on), tiny_loss(keyed(9, 3))) << "evaluation runs without the masks";
  }
}

// Embedding dropout zeroes a dropped token's whole input, so its embedding
// row gets no gradient; a kept token's does.
TEST(Regularisers, EmbeddingDropoutLeavesADroppedTokensRowWithoutGradient) {
  const ModelConfig cfg = tiny_config(0.0);
  cpu::CpuBackend<double> be;
  Model<double> model(be, cfg);
  model.set_params(init_params(cfg, 1));
  StepOptions so = keyed(9, 3);
  so.train = true;
  so.backward = true;
  so.embed_dropout = 0.5;
  model.forward(tiny_batch(cfg.vocab), so);
  const auto grads = model.get_grads();
  const std::size_t emb = model.layout().at("embedding.weight").offset;
  int dropped = 0, kept = 0;
  for (int token : {1, 2, 3, 4, 5, 6}) {  // the tokens tiny_batch feeds
    const bool keep = rng::uniform(9, rng::kEmbedDropout, 3, static_cast<uint64_t>(token)) >= static_cast<float>(0.5);
    double size = 0;
    for (int c = 0; c < cfg.embed; ++c) size += std::abs(grads[emb + static_cast<std::size_t>(token) * cfg.embed + c]);
    if (keep) {
      ++kept;
      EXPECT_GT(size, 0.0) << "token " << token;
    } else {
      ++dropped;
      EXPECT_EQ(size, 0.0) << "token " << token;
    }
  }
  EXPECT_GT(dropped, 0) << "seed and step chosen so both cases occur";
  EXPECT_GT(kept, 0);
}

// ---------------------------------------------------------------- training runs

namespace {

const char* kNames =
    "令狐冲\n任我行\n任盈盈\n岳不群\n林平之\n东方不败\n向问天\n风清扬\n田伯光\n仪琳\n"
    "郭靖\n黄蓉\n杨过\n小龙女\n洪七公\n欧阳锋\n黄药师\n一灯大师\n周伯通\n王重阳\n";

TrainOptions small_run(const test::TempDir& dir, const std::string& out) { return test::small_run(dir, out, kNames); }

TrainOptions regularised(const test::TempDir& dir, const std::string& out) {
  TrainOptions o = small_run(dir, out);
  o.settings.weight_drop = 0.3;
  o.settings.locked_dropout = 0.2;
  o.settings.embed_dropout = 0.1;
  return o;
}

}  // namespace

TEST(Regularisers, OffByDefaultTheCheckpointsSettingsDoNotMentionThem) {
  test::TempDir dir;
  std::ostringstream log;
  TrainOptions o = small_run(dir, "run");
  o.steps = 3;
  train(o, cpu_backend(), log);
  const std::string header = test::read_file(dir.file("run/last.safetensors")).substr(0, 4096);
  for (const char* key : {"weight_drop", "locked_dropout", "embed_dropout"}) {
    EXPECT_EQ(header.find(key), std::string::npos) << key;
  }
  const Checkpoint ck = load_checkpoint(dir.file("run/last.safetensors"));
  EXPECT_EQ(ck.settings.weight_drop, 0.0);
  EXPECT_EQ(ck.settings.locked_dropout, 0.0);
  EXPECT_EQ(ck.settings.embed_dropout, 0.0);
}

TEST(Regularisers, ResumeIsBitForBitAtAnyThreadCount) {
  test::TempDir dir;
  std::ostringstream log;
  cpu::set_threads(1);
  TrainOptions straight = regularised(dir, "straight");
  straight.steps = 12;
  train(straight, cpu_backend(), log);
  cpu::set_threads(3);
  TrainOptions first = regularised(dir, "split");
  first.steps = 7;
  train(first, cpu_backend(), log);
  TrainOptions rest = test::resumed_run(dir, "split", 12);
  rest.settings.weight_drop = 0.3;
  rest.given = {"weight-drop"};  // repeated with the checkpoint's value: accepted
  train(rest, cpu_backend(), log);
  cpu::set_threads(2);
  const Checkpoint a = load_checkpoint(dir.file("straight/last.safetensors"));
  const Checkpoint b = load_checkpoint(dir.file("split/last.safetensors"));
  EXPECT_EQ(b.state.step, 12);
  EXPECT_EQ(b.settings.weight_drop, 0.3);
  EXPECT_EQ(b.settings.locked_dropout, 0.2);
  EXPECT_EQ(b.settings.embed_dropout, 0.1);
  EXPECT_TRUE(test::bit_equal(a.params, b.params));
  EXPECT_TRUE(test::bit_equal(a.adam_m, b.adam_m));
  EXPECT_TRUE(test::bit_equal(a.adam_v, b.adam_v));
  EXPECT_EQ(a.state.best_val_loss, b.state.best_val_loss);
  // And the regularisers did train differently from a run without them.
  TrainOptions plain = small_run(dir, "plain");
  plain.steps = 12;
  train(plain, cpu_backend(), log);
  EXPECT_FALSE(test::bit_equal(load_checkpoint(dir.file("plain/last.safetensors")).params, a.params));
}

TEST(Regularisers, BadValuesAndChangesOnResumeAreRefusedNamingTheFlag) {
  test::TempDir dir;
  std::ostringstream log;
  TrainOptions o = small_run(dir, "run");
  o.steps = 3;
  for (double TrainSettings::*lever : {&TrainSettings::weight_drop, &TrainSettings::locked_dropout,
                                       &TrainSettings::embed_dropout}) {
    for (double bad : {-0.1, 1.0, std::nan("")}) {
      TrainOptions b = o;
      b.settings.*lever = bad;
      const std::string e = error_of([&] { train(b, cpu_backend(), log); });
      EXPECT_NE(e.find("must be in [0, 1) (0 = off)"), std::string::npos) << e;
      EXPECT_EQ(e.find("--"), 0u) << "names the flag: " << e;
    }
  }
  train(o, cpu_backend(), log);
  const std::pair<const char*, double TrainSettings::*> flags[] = {{"weight-drop", &TrainSettings::weight_drop},
                                                                   {"locked-dropout", &TrainSettings::locked_dropout},
                                                                   {"embed-dropout", &TrainSettings::embed_dropout}};
  for (const auto& [flag, lever] : flags) {
    TrainOptions rest;
    rest.resume = dir.file("run/last.safetensors");
    rest.out_dir = dir.file("run");
    rest.steps = 6;
    rest.quiet = true;
    rest.settings.*lever = 0.5;
    rest.given = {flag};
    const std::string e = error_of([&] { train(rest, cpu_backend(), log); });
    EXPECT_NE(e.find(std::string("--") + flag + " 0.5 cannot change on --resume"), std::string::npos) << e;
  }
}

TEST(Regularisers, TheCommandLineRefusesBadValuesNamingTheFlag) {
  test::TempDir dir;
  test::write_file(dir.file("n.txt"), kNames);
  const std::string common = " --data " + dir.file("n.txt") + " --out " + dir.file("o") + " --steps 1 --from-scratch";
  for (const char* flag : {"--weight-drop", "--locked-dropout", "--embed-dropout"}) {
    const test::RunResult r = test::run_wuxia(std::string("train ") + flag + " 1" + common);
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.out.find(std::string(flag) + " must be in [0, 1)"), std::string::npos) << r.out;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("o/last.safetensors"))) << "nothing written";
}
