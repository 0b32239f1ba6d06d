// Ensembles (wuxia/infer/ensemble.hpp): several models' next-character
// distributions averaged, at eval, sample, score and name time.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <memory>
#include <sstream>

#include "test_util.hpp"
#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/data/names.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/infer/ensemble.hpp"
#include "wuxia/infer/evaluate.hpp"
#include "wuxia/infer/sampler.hpp"
#include "wuxia/infer/scoring.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/checkpoint.hpp"
#include "wuxia/train/trainer.hpp"

using namespace wuxia;

namespace {

// Two small models of the same 300 Jin Yong names (other seeds, other
// shapes: the members need not share an architecture), and a third of the
// first 100 names only, whose vocabulary is smaller. Trained once per suite.
class EnsembleModels : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<test::TempDir>();
    std::ifstream in(std::string(WUXIA_DATA_DIR) + "/jinyong.txt");
    std::string line, all, few;
    for (int i = 0; i < 300 && std::getline(in, line); ++i) {
      all += line + "\n";
      if (i < 100) few += line + "\n";
    }
    test::write_file(dir_->file("all.txt"), all);
    test::write_file(dir_->file("few.txt"), few);
    train_one("all.txt", "a", 32, 16, 3);
    train_one("all.txt", "b", 24, 8, 5);
    train_one("few.txt", "c", 16, 8, 3);
  }
  static void TearDownTestSuite() {
    dir_.reset();
  }
  static void train_one(const std::string& data, const std::string& run, int hidden, int embed, uint64_t seed) {
    TrainOptions o;
    o.data.push_back({"jinyong", dir_->file(data)});
    o.out_dir = dir_->file(run);
    o.model.embed = embed;
    o.model.hidden = hidden;
    o.model.layers = 1;
    o.model.dropout = 0;
    o.settings.batch = 32;
    o.settings.lr = 1e-2;
    o.settings.seed = seed;
    o.steps = 40;
    o.eval_every = 20;
    o.quiet = true;
    std::ostringstream log;
    train(o, be_, log);
  }
  static std::string path(const std::string& run) { return dir_->file(run + "/best.safetensors"); }

  // A checkpoint's model on the shared CPU backend.
  struct Loaded {
    Checkpoint ck;
    std::unique_ptr<Model<float>> model;
    explicit Loaded(const std::string& p) : ck(load_checkpoint_for_inference(p)) {
      model = std::make_unique<Model<float>>(be_, ck.config);
      model->set_params(ck.params);
    }
  };
  // Names from the training file (the first lines of jinyong.txt), so every character is known.
  static std::vector<std::u32string> names() {
    return {U"陈家洛", U"于万亭", U"无尘道长", U"赵半山", U"文泰来", U"骆冰"};
  }
  static std::vector<Example> examples(const Vocab& v) {
    std::vector<Example> ex;
    for (const auto& n : names()) {
      Example e;
      if (!encode_name(v, 0, n, e)) throw Error(utf8::encode(n) + ": not in the test models' vocabulary");
      ex.push_back(std::move(e));
    }
    return ex;
  }
  // P(each target | the name so far) under one model, stepping it by hand: START, then the characters, then END.
  static std::vector<double> step_probs(Model<float>& m, const Vocab& v, const std::u32string& name) {
    std::vector<int32_t> ids{v.start_id(0)};
    for (char32_t c : name) ids.push_back(v.id_of(c));
    ids.push_back(kEnd);
    std::vector<double> p;
    m.begin_inference(1);
    for (std::size_t t = 0; t + 1 < ids.size(); ++t) {
      const std::vector<float>& logits = m.infer_step({ids[t]});
      double mx = -INFINITY, z = 0;
      for (float x : logits) mx = std::max(mx, static_cast<double>(x));
      for (float x : logits) z += std::exp(x - mx);
      p.push_back(std::exp(logits[ids[t + 1]] - mx) / z);
    }
    return p;
  }

  static inline cpu::CpuBackend<float> be_;
  static inline std::unique_ptr<test::TempDir> dir_;
};

TEST_F(EnsembleModels, OneMemberEvaluatesBitForBitAsTheModel) {
  Loaded a(path("a"));
  const auto ex = examples(a.ck.vocab());
  ASSERT_FALSE(ex.empty());
  std::vector<double> per_model, per_ens;
  const EvalResult alone = evaluate(*a.model, ex, 4, &per_model);
  Ensemble one(std::vector<Model<float>*>{a.model.get()});
  const EvalResult ens = evaluate(one, ex, 4, &per_ens);
  EXPECT_EQ(alone.nll_sum, ens.nll_sum);
  EXPECT_EQ(alone.tokens, ens.tokens);
  EXPECT_TRUE(test::bit_equal(per_model, per_ens));
}

TEST_F(EnsembleModels, OneMemberSamplesTheModelsNames) {
  Loaded a(path("a"));
  const Vocab v = a.ck.vocab();
  SampleOptions o;
  o.n = 15;
  o.seed = 11;
  o.batch = 7;
  const auto alone = sample_names(*a.model, v, NameSets{}, o);
  Ensemble one(std::vector<Model<float>*>{a.model.get()});
  const auto ens = sample_names(one, v, NameSets{}, o);
  ASSERT_EQ(alone.size(), ens.size());
  for (std::size_t i = 0; i < alone.size(); ++i) EXPECT_EQ(alone[i].name, ens[i].name) << i;
}

TEST_F(EnsembleModels, ModelWithItselfEvaluatesAsTheModel) {
  Loaded a(path("a")), a2(path("a"));
  const Vocab v = a.ck.vocab();
  const auto ex = examples(v);
  const EvalResult alone = evaluate(*a.model, ex, 4);
  Ensemble twice(std::vector<Model<float>*>{a.model.get(), a2.model.get()});
  EXPECT_NEAR(evaluate(twice, ex, 4).loss(), alone.loss(), 1e-6);
  const auto ll1 = log_likelihoods(*a.model, v, names(), 0);
  const auto ll2 = log_likelihoods(twice, v, names(), 0);
  for (std::size_t i = 0; i < ll1.size(); ++i) EXPECT_NEAR(ll1[i], ll2[i], 1e-5) << i;
}

// The mixture, not the mean of the NLLs: -log((p + q) / 2) at each step,
// from each model's own per-step probabilities.
TEST_F(EnsembleModels, NllIsTheMixtureOfTheMembersStepProbabilities) {
  Loaded a(path("a")), b(path("b"));
  ASSERT_NE(a.ck.config.hidden, b.ck.config.hidden);
  const Vocab v = a.ck.vocab();
  Ensemble ens(std::vector<Model<float>*>{a.model.get(), b.model.get()});
  const auto ll = log_likelihoods(ens, v, names(), 0);
  int differs_from_mean = 0;
  for (std::size_t i = 0; i < names().size(); ++i) {
    ASSERT_FALSE(std::isnan(ll[i])) << i;
    const auto p = step_probs(*a.model, v, names()[i]);
    const auto q = step_probs(*b.model, v, names()[i]);
    double mixture = 0, upper = 0, lower = 0, mean_nll = 0;
    for (std::size_t t = 0; t < p.size(); ++t) {
      mixture += -std::log((p[t] + q[t]) / 2);
      upper += std::max(-std::log(p[t]), -std::log(q[t]));
      lower += std::min(-std::log(p[t]), -std::log(q[t]));
      mean_nll += (-std::log(p[t]) - std::log(q[t])) / 2;
    }
    EXPECT_NEAR(-ll[i], mixture, 1e-4 * std::max(1.0, mixture)) << utf8::encode(names()[i]);
    EXPECT_LE(-ll[i], upper + 1e-4) << utf8::encode(names()[i]);
    EXPECT_GE(-ll[i], lower - 1e-4) << utf8::encode(names()[i]);
    differs_from_mean += std::fabs(mixture - mean_nll) > 1e-3;
  }
  EXPECT_GT(differs_from_mean, 0);  // the two models differ enough to tell the two rules apart
  // Eval's sum over targets is the same mixture.
  std::vector<double> per_name;
  evaluate(ens, examples(v), 3, &per_name);
  // Not bit for bit: evaluate batches the names three at a time and
  // log_likelihoods all together, so their float GEMMs block the rows
  // differently (OpenBLAS's Zen kernels round differently from its Skylake-X
  // ones: up to 9.9e-7 seen on a 2-core EPYC). Float logits agree to a few ulps
  // (~1e-7 relative) per token; 1e-5 per nat of the name bounds that with room.
  for (std::size_t i = 0; i < per_name.size(); ++i) {
    EXPECT_NEAR(per_name[i], -ll[i], 1e-5 * std::max(1.0, std::fabs(ll[i]))) << i;
  }
}

TEST_F(EnsembleModels, SamplingFromTwoIsDeterministicAndInVocabulary) {
  Loaded a(path("a")), b(path("b"));
  const Vocab v = a.ck.vocab();
  Ensemble ens(std::vector<Model<float>*>{a.model.get(), b.model.get()});
  SampleOptions o;
  o.n = 10;
  o.seed = 3;
  const auto first = sample_names(ens, v, NameSets{}, o);
  const auto again = sample_names(ens, v, NameSets{}, o);
  ASSERT_EQ(first.size(), 10u);
  ASSERT_EQ(again.size(), first.size());
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].name, again[i].name);
    for (char32_t c : first[i].name) EXPECT_GE(v.id_of(c), 0);
  }
}

TEST_F(EnsembleModels, TheSameModelObjectTwiceIsRefused) {
  Loaded a(path("a"));
  EXPECT_THROW(Ensemble(std::vector<Model<float>*>{a.model.get(), a.model.get()}), Error);
}

TEST(Ensemble, VocabularyMismatchNamesBothFilesAndTheDifference) {
  const Vocab a({"jinyong"}, {U'甲', U'乙', U'丙'});
  const Vocab b({"jinyong"}, {U'甲', U'丁', U'丙'});
  const Vocab c({"gulong"}, {U'甲', U'乙', U'丙'});
  const Vocab d({"jinyong"}, {U'丙', U'乙'});  // a's first two, in code-point order
  EXPECT_NO_THROW(check_same_vocab(a, "a.st", a, "a2.st"));
  auto message = [](const Vocab& x, const Vocab& y) {
    try {
      check_same_vocab(x, "one.safetensors", y, "two.safetensors");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  for (const Vocab* other : {&b, &c, &d}) {
    const std::string m = message(a, *other);
    EXPECT_NE(m.find("one.safetensors"), std::string::npos) << m;
    EXPECT_NE(m.find("two.safetensors"), std::string::npos) << m;
  }
  // In code-point order 丁 < 丙 < 乙 < 甲: a is 丙乙甲, b 丁丙甲, so the first place differs.
  EXPECT_NE(message(a, b).find("丙"), std::string::npos);
  EXPECT_NE(message(a, b).find("丁"), std::string::npos);
  EXPECT_NE(message(a, c).find("gulong"), std::string::npos);
  EXPECT_NE(message(a, d).find("3 and 2"), std::string::npos);
}

TEST(Ensemble, MixtureNllOfOneIsItsNllAndOfEqualsIsTheSame) {
  const double one[] = {1.25};
  EXPECT_EQ(mixture_nll(one, 1), 1.25);
  const double same[] = {2.5, 2.5, 2.5};
  EXPECT_NEAR(mixture_nll(same, 3), 2.5, 1e-12);
  const double two[] = {std::log(2.0), std::log(4.0)};  // p = 1/2, 1/4
  EXPECT_NEAR(mixture_nll(two, 2), -std::log(0.375), 1e-12);
  const double far[] = {1.0, 2000.0};  // exp(-2000) underflows: the mixture is log 2 worse than the best
  EXPECT_NEAR(mixture_nll(far, 2), 1.0 + std::log(2.0), 1e-12);
}

TEST_F(EnsembleModels, EvalCliTakesRepeatedCheckpointsAndListsThem) {
  const std::string names_file = dir_->file("names.txt");
  std::string lines;
  for (const auto& n : names()) lines += utf8::encode(n) + "\n";
  test::write_file(names_file, lines);
  const auto r = test::run_wuxia("eval --checkpoint " + path("a") + " --checkpoint " + path("b") + " " + names_file +
                                 " --json --device cpu");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out.substr(r.out.find('{')));
  ASSERT_EQ(j["checkpoints"].size(), 2u);
  EXPECT_EQ(j["checkpoints"][0]["file"], path("a"));
  EXPECT_EQ(j["checkpoints"][1]["file"], path("b"));
  // The same loss as the library's ensemble.
  Loaded a(path("a")), b(path("b"));
  Ensemble ens(std::vector<Model<float>*>{a.model.get(), b.model.get()});
  EXPECT_NEAR(j["loss"].get<double>(), evaluate(ens, examples(a.ck.vocab()), 256).loss(), 1e-6);
  const auto one = test::run_wuxia("eval --checkpoint " + path("a") + " " + names_file + " --json --device cpu");
  ASSERT_EQ(one.code, 0) << one.out;
  EXPECT_EQ(nlohmann::json::parse(one.out.substr(one.out.find('{')))["checkpoints"].size(), 1u);
}

TEST_F(EnsembleModels, CliRefusesMembersOfOtherVocabulariesNamingBoth) {
  for (const std::string cmd : {"eval", "sample", "score"}) {
    const std::string tail = cmd == "eval" ? " " + dir_->file("few.txt") : cmd == "score" ? " 赵半山" : "";
    const auto r = test::run_wuxia(cmd + " --checkpoint " + path("a") + " --checkpoint " + path("c") + tail);
    EXPECT_NE(r.code, 0) << cmd;
    EXPECT_NE(r.out.find(path("a")), std::string::npos) << cmd << ": " << r.out;
    EXPECT_NE(r.out.find(path("c")), std::string::npos) << cmd << ": " << r.out;
  }
}

TEST_F(EnsembleModels, SampleAndScoreCliTakeTwoCheckpoints) {
  const std::string two = "--checkpoint " + path("a") + " --checkpoint " + path("b");
  const auto s = test::run_wuxia("sample " + two + " -n 5 --seed 2");
  EXPECT_EQ(s.code, 0) << s.out;
  const auto again = test::run_wuxia("sample " + two + " -n 5 --seed 2");
  EXPECT_EQ(s.out, again.out);
  const auto sc = test::run_wuxia("score " + two + " --samples 50 赵半山");
  ASSERT_EQ(sc.code, 0) << sc.out;
  EXPECT_NE(sc.out.find("赵半山\t"), std::string::npos) << sc.out;
}

}  // namespace

namespace {

// `name` ranks by the mixture: a proposal's log_likelihood is the ensemble's
// log P(surname + given), as score computes it.
TEST_F(EnsembleModels, NameCliRanksByTheMixtureLikelihood) {
  const auto r = test::run_wuxia("name --surname 陈 --level 3 -n 3 --json --checkpoint " + path("a") +
                                 " --checkpoint " + path("b"));
  ASSERT_TRUE(r.code == 0 || r.code == 3) << r.out;
  Loaded a(path("a")), b(path("b"));
  Ensemble ens(std::vector<Model<float>*>{a.model.get(), b.model.get()});
  std::istringstream lines(r.out);
  std::string line;
  int checked = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '{') continue;
    const auto j = nlohmann::json::parse(line);
    const std::u32string full = U"陈" + utf8::decode_or_throw(j["given"].get<std::string>(), "given");
    const double ll = log_likelihoods(ens, a.ck.vocab(), {full}, 0)[0];
    EXPECT_NEAR(j["log_likelihood"].get<double>(), ll, 1e-3) << line;
    ++checked;
  }
  EXPECT_GT(checked, 0) << r.out;
}

TEST_F(EnsembleModels, ExplainCliTakesTwoCheckpoints) {
  const auto r = test::run_wuxia("explain 陈家洛 --json --checkpoint " + path("a") + " --checkpoint " + path("b"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("\"percentile\""), std::string::npos) << r.out;
}

}  // namespace

namespace {

// What the sampler and the naming search pick from: exp of the ensemble's
// row is the mean of the members' softmaxes, after the same inputs.
TEST_F(EnsembleModels, InferenceStepGivesTheMeanOfTheMembersSoftmaxes) {
  Loaded a(path("a")), b(path("b")), a2(path("a")), b2(path("b"));
  const Vocab v = a.ck.vocab();
  Ensemble ens(std::vector<Model<float>*>{a2.model.get(), b2.model.get()});
  const std::vector<int32_t> first{v.start_id(0), v.start_id(0)};
  const std::vector<int32_t> second{v.id_of(U'陈'), v.id_of(U'赵')};
  for (Model<float>* m : {a.model.get(), b.model.get()}) m->begin_inference(2);
  ens.begin_inference(2);
  for (const auto* tok : {&first, &second}) {
    const std::vector<float> pa = a.model->infer_step(*tok), pb = b.model->infer_step(*tok);
    const std::vector<float> mix = ens.infer_step(*tok);
    const int V = v.size();
    for (int r = 0; r < 2; ++r) {
      auto softmax = [&](const std::vector<float>& l, int k) {
        double mx = -INFINITY, z = 0;
        for (int i = 0; i < V; ++i) mx = std::max(mx, static_cast<double>(l[r * V + i]));
        for (int i = 0; i < V; ++i) z += std::exp(l[r * V + i] - mx);
        return std::exp(l[r * V + k] - mx) / z;
      };
      double total = 0;
      for (int k = 0; k < V; ++k) {
        const double want = (softmax(pa, k) + softmax(pb, k)) / 2;
        EXPECT_NEAR(std::exp(static_cast<double>(mix[r * V + k])), want, 1e-6 + 1e-4 * want) << r << " " << k;
        total += std::exp(static_cast<double>(mix[r * V + k]));
      }
      EXPECT_NEAR(total, 1.0, 1e-4);
    }
  }
}

}  // namespace
