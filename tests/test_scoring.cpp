// score and classify (the naming helper: test_naming.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "test_util.hpp"
#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/data/names.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/infer/scoring.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/checkpoint.hpp"
#include "wuxia/train/trainer.hpp"

using namespace wuxia;

namespace {

// Models trained on both bundled casts, one per test suite. gtest_discover_tests
// runs every test in its own process, so each suite trains once per test:
// the classifier needs a real model, the other tests only a cheap one.
class BothCastsBase : public ::testing::Test {
 protected:
  // Trains on both bundled casts less every eighth name whose characters all
  // occur in other names too: those are held out of the files the model is
  // trained from, so neither training nor the choice of checkpoint (the
  // validation split) ever sees them. `checkpoint` is best or last.
  static void train_both(int hidden, int embed, double dropout, int64_t steps, const std::string& checkpoint) {
    dir_ = std::make_unique<test::TempDir>();
    const std::vector<std::string> styles{"jinyong", "gulong"};
    std::vector<NameFile> files;
    std::map<char32_t, int> uses;  // how many names hold the character
    for (const auto& style : styles) {
      files.push_back(load_name_file(std::string(WUXIA_DATA_DIR) + "/" + style + ".txt", style));
      for (const auto& n : files.back().names) {
        for (char32_t c : std::set<char32_t>(n.begin(), n.end())) ++uses[c];
      }
    }
    // Candidates: every eighth name whose characters all occur in other
    // names; held out are those whose characters the kept names still cover
    // (else the model could not score them).
    std::vector<std::vector<bool>> candidate(styles.size());
    std::set<char32_t> covered;
    for (std::size_t s = 0; s < styles.size(); ++s) {
      std::size_t i = 0;
      for (const auto& n : files[s].names) {
        bool common = true;
        for (char32_t c : n) common = common && uses[c] > 1;
        candidate[s].push_back(common && ++i % 8 == 0);
        if (!candidate[s].back()) covered.insert(n.begin(), n.end());
      }
    }
    TrainOptions o;
    for (std::size_t s = 0; s < styles.size(); ++s) {
      std::string kept;
      for (std::size_t k = 0; k < files[s].names.size(); ++k) {
        const auto& n = files[s].names[k];
        bool scorable = true;
        for (char32_t c : n) scorable = scorable && covered.count(c);
        if (candidate[s][k] && scorable) {
          held_out_.push_back(n);
          held_out_style_.push_back(static_cast<int>(s));
        } else {
          kept += utf8::encode(n) + "\n";
        }
      }
      test::write_file(dir_->file(styles[s] + ".txt"), kept);
      o.data.push_back({styles[s], dir_->file(styles[s] + ".txt")});
    }
    o.out_dir = dir_->file("run");
    o.model.embed = embed;
    o.model.hidden = hidden;
    o.model.layers = 1;
    o.model.dropout = dropout;
    o.settings.batch = 64;
    o.settings.lr = 3e-3;
    o.settings.seed = 7;
    o.steps = steps;
    o.eval_every = 100;
    o.quiet = true;
    std::ostringstream log;
    train(o, be_, log);
    ck_ = std::make_unique<Checkpoint>(load_checkpoint(dir_->file("run/" + checkpoint + ".safetensors")));
    model_ = std::make_unique<Model<float>>(be_, ck_->config);
    model_->set_params(ck_->params);
  }
  static void TearDownTestSuite() {
    model_.reset();
    ck_.reset();
    dir_.reset();
    held_out_.clear();
    held_out_style_.clear();
  }
  static inline cpu::CpuBackend<float> be_;
  static inline std::unique_ptr<test::TempDir> dir_;
  static inline std::unique_ptr<Checkpoint> ck_;
  static inline std::unique_ptr<Model<float>> model_;
  static inline std::vector<std::u32string> held_out_;
  static inline std::vector<int> held_out_style_;
};

// The classifier's setting: the last checkpoint of a longer run, not the one
// with the lowest validation loss, which comes before the model has learned
// the smaller cast (docs/classify.md).
class BothCasts : public BothCastsBase {
 protected:
  static void SetUpTestSuite() { train_both(128, 32, 0.5, 800, "last"); }
};

class QuickBothCasts : public BothCastsBase {
 protected:
  static void SetUpTestSuite() { train_both(32, 16, 0.0, 150, "best"); }
};

}  // namespace

// The two casts share most characters and naming habits, and Jin Yong's is
// 2.7 times the larger: cross-validated, the best accuracy found is about
// 0.77 against 0.725 for always answering Jin Yong (docs/classify.md), so
// beating that rule on ~125 names is within the noise either way. What the
// model does reliably is tell the casts apart better than chance: balanced
// accuracy (the mean of the per-cast recalls; 0.5 for any constant answer)
// of 0.67 +- 0.015 across folds. That is asserted; the accuracy is printed.
TEST_F(BothCasts, ClassifySeparatesTheCastsOnNamesItNeverSaw) {
  const Vocab vocab = ck_->vocab();
  ASSERT_GE(held_out_.size(), 100u);
  const auto guesses = classify_names(*model_, vocab, held_out_, style_priors(ck_->train_names));
  int right = 0, majority = 0, unscored = 0;
  int per_style_right[2] = {0, 0}, per_style_total[2] = {0, 0};
  const int major = ck_->train_names[0].size() >= ck_->train_names[1].size() ? 0 : 1;
  for (std::size_t i = 0; i < held_out_.size(); ++i) {
    const int truth = held_out_style_[i];
    if (guesses[i].best < 0) {
      ++unscored;
    } else {
      ASSERT_EQ(guesses[i].posterior.size(), 2u);
      EXPECT_NEAR(guesses[i].posterior[0] + guesses[i].posterior[1], 1.0, 1e-9);
    }
    right += guesses[i].best == truth;
    majority += truth == major;
    per_style_right[truth] += guesses[i].best == truth;
    ++per_style_total[truth];
  }
  const double n = static_cast<double>(held_out_.size());
  const double acc = right / n, base = majority / n;
  const double balanced = 0.5 * (static_cast<double>(per_style_right[0]) / per_style_total[0] +
                                 static_cast<double>(per_style_right[1]) / per_style_total[1]);
  std::cout << "held-out names: " << held_out_.size() << " (" << per_style_total[1] << " Gu Long), accuracy " << acc
            << ", always-Jin-Yong " << base << ", balanced accuracy " << balanced << "\n";
  EXPECT_GT(balanced, 0.6);
  EXPECT_EQ(unscored, 0) << "the kept names cover every held-out character";
}

TEST_F(QuickBothCasts, LikelierNamesScoreHigherPercentiles) {
  const Vocab vocab = ck_->vocab();
  const auto ll = log_likelihoods(*model_, vocab, {U"张三", U"令狐冲", U"冲狐令冲狐令"}, 0);
  EXPECT_FALSE(std::isnan(ll[0]));
  EXPECT_GT(ll[1], ll[2]);  // a real name beats its scrambled, doubled letters
  std::vector<double> ref{-30, -20, -10, -5};
  EXPECT_DOUBLE_EQ(percentile_of(-20, ref), 0.375);
  EXPECT_DOUBLE_EQ(percentile_of(-1, ref), 1.0);
  EXPECT_TRUE(std::isnan(log_likelihoods(*model_, vocab, {U"abc"}, 0)[0]));
}

TEST(Scoring, PriorsAreTheStylesShares) {
  const auto p = style_priors({{U"a", U"b", U"c"}, {U"d"}});
  EXPECT_DOUBLE_EQ(p[0], 0.75);
  EXPECT_DOUBLE_EQ(p[1], 0.25);
}

TEST(ScoringCli, CommandsRejectBadInputClearly) {
  test::TempDir dir;
  const std::string data = std::string(WUXIA_DATA_DIR) + "/jinyong.txt";
  auto r = test::run_wuxia("train --data " + data +
                           " --steps 2 --hidden 8 --embed 4 --layers 1 --device cpu --quiet --out " + dir.file("o"));
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string ck = " --checkpoint " + dir.file("o/best.safetensors");
  struct Case {
    std::string args, expect;
  } cases[] = {
      {"classify" + ck + " 令狐冲", "trained on one style"},
      {"score" + ck, "give names as arguments or --file"},
      {"score" + ck + " --samples 0 张三", "--samples must be from 1 to 20000"},
      {"score" + ck + " --samples 10 abc", "not in the model's vocabulary"},
      {"classify" + ck + " --file " + dir.file("missing.txt"), "missing.txt: cannot open"},
  };
  for (const auto& c : cases) {
    r = test::run_wuxia(c.args);
    EXPECT_NE(r.code, 0) << c.args;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << c.args << "\n" << r.out;
  }
  r = test::run_wuxia("score" + ck + " --samples 50 张三 令狐冲");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("name\tlog_likelihood\tnll_per_token\tpercentile"), std::string::npos);
}

// Two styles that share no characters: the classifier must be all but perfect.
TEST(Classify, SeparatesStylesWithDisjointAlphabets) {
  test::TempDir dir;
  std::string a, b;
  const std::u32string left = U"甲乙丙丁戊己", right = U"子丑寅卯辰巳";
  for (int i = 0; i < 6; ++i) {
    for (int j = 0; j < 6; ++j) {
      a += utf8::encode(std::u32string{left[i], left[j]}) + "\n";
      b += utf8::encode(std::u32string{right[i], right[j]}) + "\n";
    }
  }
  test::write_file(dir.file("a.txt"), a);
  test::write_file(dir.file("b.txt"), b);
  TrainOptions o;
  o.data = {{"a", dir.file("a.txt")}, {"b", dir.file("b.txt")}};
  o.out_dir = dir.file("run");
  o.model = ModelConfig{0, 8, 16, 1, 0.0};
  o.settings.batch = 16;
  o.settings.lr = 1e-2;
  o.steps = 150;
  o.eval_every = 150;
  o.quiet = true;
  cpu::CpuBackend<float> be;
  std::ostringstream log;
  train(o, be, log);
  const Checkpoint ck = load_checkpoint(dir.file("run/last.safetensors"));
  Model<float> model(be, ck.config);
  model.set_params(ck.params);
  const auto g = classify_names(model, ck.vocab(), {U"甲丁", U"卯子", U"丙丙"}, style_priors(ck.train_names));
  EXPECT_EQ(g[0].best, 0);
  EXPECT_EQ(g[1].best, 1);
  EXPECT_EQ(g[2].best, 0);
  EXPECT_GT(g[0].posterior[0], 0.9);
  EXPECT_GT(g[1].posterior[1], 0.9);
}
