// Training runs end to end through the library: exact resume, divergence,
// the learning-rate schedule, the validation split.
#include <gtest/gtest.h>

#include <cstring>
#include <sstream>

#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/infer/evaluate.hpp"

#include "test_util.hpp"
#include "train_test_util.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/checkpoint.hpp"
#include "wuxia/train/trainer.hpp"

using namespace wuxia;

namespace {

Backend<float>& cpu_backend() {
  static cpu::CpuBackend<float> be(2);  // the thread count is the backend's
  return be;
}

const char* kNames =
    "令狐冲\n任我行\n任盈盈\n岳不群\n林平之\n东方不败\n向问天\n风清扬\n田伯光\n仪琳\n"
    "郭靖\n黄蓉\n杨过\n小龙女\n洪七公\n欧阳锋\n黄药师\n一灯大师\n周伯通\n王重阳\n"
    "张无忌\n赵敏\n周芷若\n张三丰\n谢逊\n殷素素\n萧峰\n段誉\n虚竹\n王语嫣\n";

TrainOptions small_run(const test::TempDir& dir, const std::string& out) { return test::small_run(dir, out, kNames); }

}  // namespace

TEST(Resume, StraightRunEqualsSaveAndResumeBitForBit) {
  test::TempDir dir;
  std::ostringstream log;
  TrainOptions straight = small_run(dir, "straight");
  straight.steps = 12;
  train(straight, cpu_backend(), log);

  TrainOptions first = small_run(dir, "split");
  first.steps = 7;  // not a multiple of eval_every: the final step still checkpoints
  train(first, cpu_backend(), log);
  TrainOptions second;
  second.resume = dir.file("split/last.safetensors");
  second.out_dir = dir.file("split");
  second.steps = 12;
  second.eval_every = 3;
  second.quiet = true;
  train(second, cpu_backend(), log);

  const Checkpoint a = load_checkpoint(dir.file("straight/last.safetensors"));
  const Checkpoint b = load_checkpoint(dir.file("split/last.safetensors"));
  EXPECT_EQ(b.state.step, 12);
  ASSERT_EQ(a.params.size(), b.params.size());
  EXPECT_EQ(0, std::memcmp(a.params.data(), b.params.data(), a.params.size() * sizeof(float)));
  EXPECT_EQ(0, std::memcmp(a.adam_v.data(), b.adam_v.data(), a.adam_v.size() * sizeof(float)));
  EXPECT_EQ(a.state.best_val_loss, b.state.best_val_loss);
}

TEST(Training, LossOnTheTrainingNamesFalls) {
  test::TempDir dir;
  std::ostringstream log;
  TrainOptions o = small_run(dir, "out");
  o.model.dropout = 0;
  o.settings.lr = 1e-2;
  o.steps = 60;
  o.settings.decay_steps = 60;
  const TrainResult r = train(o, cpu_backend(), log);
  EXPECT_GT(r.tokens_per_sec, 0);
  const Checkpoint ck = load_checkpoint(dir.file("out/last.safetensors"));
  EXPECT_EQ(ck.state.step, 60);
  std::vector<Example> ex;
  const Vocab vocab = ck.vocab();
  for (const auto& n : ck.train_names[0]) {
    ex.emplace_back();
    ASSERT_TRUE(encode_name(vocab, 0, n, ex.back()));
  }
  cpu::CpuBackend<float> be;
  Model<float> model(be, ck.config);
  model.set_params(init_params(ck.config, o.settings.seed));
  const double before = evaluate(model, ex, 64).loss();
  model.set_params(ck.params);
  const double after = evaluate(model, ex, 64).loss();
  EXPECT_LT(after, before - 1.0) << "before " << before << ", after " << after;
}

TEST(Training, DivergenceStopsNamingTheStepAndKeepsBest) {
  test::TempDir dir;
  std::ostringstream log;
  TrainOptions o = small_run(dir, "out");
  o.steps = 3;
  train(o, cpu_backend(), log);
  const std::string best = test::read_file(dir.file("out/best.safetensors"));

  TrainOptions blow = small_run(dir, "out");
  blow.settings.lr = 1e30;
  blow.settings.warmup = 0;
  blow.settings.clip = 0;
  blow.steps = 50;
  blow.eval_every = 1000;  // no evaluation before it blows up
  blow.overwrite = true;   // a new run over the first: its divergence must not cost the first its best
  try {
    train(blow, cpu_backend(), log);
    FAIL() << "a learning rate of 1e30 trained without complaint";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("diverged at step "), std::string::npos) << e.what();
  }
  EXPECT_EQ(test::read_file(dir.file("out/best.safetensors")), best);
}

TEST(Schedule, WarmsUpThenDecaysToTheFloorAndStays) {
  TrainSettings s;
  s.lr = 1.0;
  s.warmup = 10;
  s.decay_steps = 110;
  s.min_lr_ratio = 0.1;
  EXPECT_DOUBLE_EQ(learning_rate(s, 5), 0.5);
  EXPECT_DOUBLE_EQ(learning_rate(s, 10), 1.0);
  EXPECT_NEAR(learning_rate(s, 60), 0.55, 1e-12);
  EXPECT_NEAR(learning_rate(s, 110), 0.1, 1e-12);
  EXPECT_NEAR(learning_rate(s, 500), 0.1, 1e-12);
}

TEST(Split, ValidationIsTenPercentCappedAtAThousandAndSeeded) {
  NameFile f;
  for (int i = 0; i < 50; ++i) f.names.push_back(std::u32string(1, static_cast<char32_t>(0x4E00 + i)));
  std::vector<std::vector<std::u32string>> tr, va, tr2, va2;
  split_names({f}, 1, tr, va);
  EXPECT_EQ(va[0].size(), 5u);
  EXPECT_EQ(tr[0].size(), 45u);
  split_names({f}, 1, tr2, va2);
  EXPECT_EQ(va, va2);
  split_names({f}, 2, tr2, va2);
  EXPECT_NE(va, va2);
}

TEST(TrainSettingsValidate, NamesTheFieldAsItsReaderSpellsIt) {
  TrainSettings s;
  s.weight_decay = -1;
  EXPECT_NE(test::error_of([&] { s.validate(TrainSettings::flag); }).find("--weight-decay must be 0 or more"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] { s.validate([](const std::string& k) { return "ck.settings." + k; }); })
                .find("ck.settings.weight_decay must be 0 or more"),
            std::string::npos);
  s.weight_decay = 0.1;
  s.base_rows_lr = 0;
  EXPECT_NE(test::error_of([&] { s.validate(TrainSettings::flag); }).find("--base-rows-lr must be in (0, 1]"),
            std::string::npos);
  EXPECT_NO_THROW(TrainSettings().validate(TrainSettings::flag));
}
