// Fine-tuning (train --init), early stopping (--patience) and script
// conversion (--convert), through the library.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <sstream>

#include "test_util.hpp"
#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/data/convert.hpp"
#include "wuxia/data/utf8.hpp"
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

const std::string kData = WUXIA_DATA_DIR;

TrainOptions small_options(const std::string& out) {
  TrainOptions o;
  o.out_dir = out;
  o.model.embed = 16;
  o.model.hidden = 32;
  o.model.layers = 1;
  o.model.dropout = 0.1;
  o.settings.batch = 32;
  o.settings.seed = 5;
  o.settings.lr = 5e-3;
  o.eval_every = 50;
  o.quiet = true;
  return o;
}

// A base trained on the Gu Long cast, once for the whole file.
class FineTune : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<test::TempDir>();
    TrainOptions o = small_options(dir_->file("base"));
    o.data = {{"gulong", kData + "/gulong.txt"}};
    o.steps = 300;
    std::ostringstream log;
    train(o, cpu_backend(), log);
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static std::string base() { return dir_->file("base/last.safetensors"); }
  static inline std::unique_ptr<test::TempDir> dir_;
};

std::size_t row_of(const Vocab& v, char32_t c) { return static_cast<std::size_t>(v.id_of(c)); }

}  // namespace

TEST_F(FineTune, NewCharacterAndStyleGetRowsAndOldRowsMoveUnchanged) {
  const Checkpoint b = load_checkpoint(base());
  RunNames names{{"wuxia"}, {{U"令狐冲", U"郭靖", U"龘靖"}}, {{U"黄蓉"}}};  // 龘 is in no cast
  ASSERT_LT(b.vocab().id_of(U'龘'), 0);
  const Checkpoint ck = init_from_base(b, base(), names, TrainSettings{}, 0.2);
  const Vocab ov = b.vocab(), nv = ck.vocab();
  EXPECT_EQ(nv.styles(), (std::vector<std::string>{"gulong", "wuxia"})) << "the base's style first, then the new";
  EXPECT_TRUE(std::is_sorted(ck.chars.begin(), ck.chars.end()));
  ASSERT_GE(nv.id_of(U'龘'), 0);
  EXPECT_EQ(ck.config.vocab, nv.size());
  EXPECT_EQ(ck.config.dropout, 0.2);
  EXPECT_TRUE(ck.adam_m.empty()) << "fresh optimizer state";
  EXPECT_EQ(ck.state.step, 0);
  ASSERT_EQ(ck.lineage.size(), 1u);
  EXPECT_EQ(ck.lineage[0].file, "last.safetensors");
  EXPECT_EQ(ck.lineage[0].checksum, b.checksum);
  EXPECT_EQ(ck.lineage[0].step, 300);
  EXPECT_EQ(ck.train_names[nv.style_index("wuxia")].size(), 3u);
  EXPECT_TRUE(ck.train_names[nv.style_index("gulong")].empty()) << "only the new names are this run's";

  const ParamLayout ol(b.config), nl(ck.config);
  for (const char* t : {"embedding.weight", "fc.weight"}) {
    const ParamInfo &o = ol.at(t), &n = nl.at(t);
    const std::size_t w = o.size / static_cast<std::size_t>(b.config.vocab);
    auto orow = [&](std::size_t id) { return b.params.data() + o.offset + id * w; };
    auto nrow = [&](std::size_t id) { return ck.params.data() + n.offset + id * w; };
    for (char32_t c : b.chars) {  // every old character's row, at its new id, bit for bit
      ASSERT_EQ(0, std::memcmp(orow(row_of(ov, c)), nrow(row_of(nv, c)), w * sizeof(float))) << t;
    }
    EXPECT_EQ(0, std::memcmp(orow(kEnd), nrow(kEnd), w * sizeof(float))) << t << ": END";
    EXPECT_EQ(0, std::memcmp(orow(ov.start_id(0)), nrow(nv.start_id(0)), w * sizeof(float))) << t << ": START";
    // The new character: the mean of the base's character rows.
    for (std::size_t k = 0; k < w; ++k) {
      double mean = 0;
      for (char32_t c : b.chars) mean += orow(row_of(ov, c))[k];
      mean /= static_cast<double>(b.chars.size());
      ASSERT_NEAR(nrow(row_of(nv, U'龘'))[k], mean, 1e-5) << t << " column " << k;
    }
    // The new style's START: the mean of the base's one START row, i.e. that row.
    EXPECT_EQ(0, std::memcmp(orow(ov.start_id(0)), nrow(nv.start_id(1)), w * sizeof(float))) << t;
  }
  const ParamInfo &ow = ol.at("lstm.weight_hh_l0"), &nw = nl.at("lstm.weight_hh_l0");
  EXPECT_EQ(0, std::memcmp(b.params.data() + ow.offset, ck.params.data() + nw.offset, ow.size * sizeof(float)));
}

TEST_F(FineTune, BeatsAFromScratchRunOfTheSameStepsOnTheNewNames) {
  auto run = [&](const std::string& out, bool init) {
    TrainOptions o = small_options(dir_->file(out));
    o.data = {{"jinyong", kData + "/jinyong.txt"}};
    o.steps = 100;
    if (init) o.init = base();
    std::ostringstream log;
    return train(o, cpu_backend(), log).best_val_loss;
  };
  const double scratch = run("scratch", false), tuned = run("tuned", true);
  std::cout << "val loss on Jin Yong names after 100 steps: from scratch " << scratch << ", from the Gu Long base "
            << tuned << "\n";
  EXPECT_LT(tuned, scratch - 0.1);
  const Checkpoint ck = load_checkpoint(dir_->file("tuned/last.safetensors"));
  ASSERT_EQ(ck.lineage.size(), 1u);
  EXPECT_EQ(ck.default_style(), ck.vocab().style_index("jinyong")) << "commands default to the style it was tuned on";
}

TEST_F(FineTune, ResumeOfAFineTuneIsBitForBitTheStraightRun) {
  auto opts = [&](const std::string& out, int64_t steps) {
    TrainOptions o = small_options(dir_->file(out));
    o.data = {{"jinyong", kData + "/jinyong.txt"}};
    o.init = base();
    o.steps = steps;
    o.settings.decay_steps = 40;
    o.settings.warmup = 4;  // both halves' schedule (the default would follow each run's --steps)
    o.eval_every = 10;
    return o;
  };
  std::ostringstream log;
  train(opts("straight", 40), cpu_backend(), log);
  train(opts("split", 25), cpu_backend(), log);
  TrainOptions rest = small_options(dir_->file("split"));
  rest.resume = dir_->file("split/last.safetensors");
  rest.steps = 40;
  rest.eval_every = 10;
  train(rest, cpu_backend(), log);
  const Checkpoint a = load_checkpoint(dir_->file("straight/last.safetensors"));
  const Checkpoint b = load_checkpoint(dir_->file("split/last.safetensors"));
  EXPECT_TRUE(test::bit_equal(a.params, b.params));
  EXPECT_TRUE(test::bit_equal(a.adam_v, b.adam_v));
  EXPECT_EQ(a.lineage[0], b.lineage[0]) << "resume keeps the lineage";
}

TEST_F(FineTune, InitWithResumeOrAnotherShapeIsRefused) {
  TrainOptions o = small_options(dir_->file("x"));
  o.data = {{"jinyong", kData + "/jinyong.txt"}};
  o.init = base();
  o.resume = base();
  std::ostringstream log;
  try {
    train(o, cpu_backend(), log);
    FAIL() << "--init with --resume trained";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--init and --resume do not go together"), std::string::npos) << e.what();
  }
  o.resume.clear();
  o.model.hidden = 64;
  o.given = {"hidden"};
  try {
    train(o, cpu_backend(), log);
    FAIL() << "--init trained with another --hidden";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--hidden 64 cannot differ from the --init model's 32"), std::string::npos)
        << e.what();
  }
}

// --patience: the run stops after N evaluations without a better validation
// loss, and the count is state: a resumed run stops where the straight one did.
TEST(Patience, StopsAfterNEvaluationsWithoutProgressAndResumesExactly) {
  test::TempDir dir;
  auto opts = [&](const std::string& out) {
    TrainOptions o = small_options(dir.file(out));
    o.data = {{"jinyong", kData + "/jinyong.txt"}};
    o.model.dropout = 0;
    o.settings.lr = 2e-2;  // overfits fast
    o.steps = 2000;
    o.settings.decay_steps = 2000;
    o.settings.warmup = 10;  // fixed: the default would follow each run's --steps
    o.eval_every = 20;
    o.patience = 2;
    return o;
  };
  std::ostringstream log;
  TrainOptions straight = opts("straight");
  straight.quiet = false;
  const TrainResult r = train(straight, cpu_backend(), log);
  ASSERT_TRUE(r.stopped_early) << log.str();
  EXPECT_LT(r.steps, 2000);
  EXPECT_EQ(r.steps, r.best_step + 2 * 20) << "two evaluations after the best";
  EXPECT_NE(log.str().find("stopping early at step " + std::to_string(r.steps)), std::string::npos) << log.str();
  const Checkpoint last = load_checkpoint(dir.file("straight/last.safetensors"));
  EXPECT_EQ(last.state.evals_since_best, 2);

  // Interrupted one evaluation after the best, resumed with the same patience.
  TrainOptions first = opts("split");
  first.steps = r.best_step + 20;
  train(first, cpu_backend(), log);
  EXPECT_EQ(load_checkpoint(dir.file("split/last.safetensors")).state.evals_since_best, 1);
  TrainOptions rest = opts("split");
  rest.data.clear();
  rest.resume = dir.file("split/last.safetensors");
  rest.settings = TrainSettings{};  // the checkpoint's apply
  const TrainResult r2 = train(rest, cpu_backend(), log);
  EXPECT_TRUE(r2.stopped_early);
  EXPECT_EQ(r2.steps, r.steps);
  EXPECT_TRUE(test::bit_equal(load_checkpoint(dir.file("split/last.safetensors")).params, last.params));
}

TEST(Convert, TraditionalToSimplifiedAndBack) {
  const ScriptConverter t2s("t2s"), s2t("s2t");
  EXPECT_EQ(utf8::encode(t2s(U"張無忌")), "张无忌");
  EXPECT_EQ(utf8::encode(t2s(U"令狐沖")), "令狐冲");
  EXPECT_EQ(utf8::encode(t2s(U"東方不敗")), "东方不败");
  EXPECT_EQ(utf8::encode(s2t(U"张无忌")), "張無忌");
  EXPECT_EQ(utf8::encode(s2t(U"黄蓉")), "黃蓉");
  EXPECT_EQ(utf8::encode(s2t(U"郭靖")), "郭靖") << "a name written alike in both stays";
}

TEST(Convert, NamesThatBecomeEqualAreCountedAsDuplicates) {
  NameFile f = parse_names("張無忌\n张无忌\n郭靖\n", "t.txt", "t");
  const NameFile c = convert_names(std::move(f), ScriptConverter("t2s"));
  EXPECT_EQ(c.names.size(), 2u);
  EXPECT_EQ(c.duplicates, 1u);
}

TEST(Convert, AMissingConfigurationFileIsNamed) {
  try {
    ScriptConverter c("t2s", "/no/such/opencc");
    FAIL() << "opened a configuration that does not exist";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/no/such/opencc/t2s.json"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ScriptConverter("x2y"), Error);
}
