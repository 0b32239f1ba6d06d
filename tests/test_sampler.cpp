#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <unordered_set>

#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/infer/sampler.hpp"
#include "wuxia/platform/error.hpp"

using namespace wuxia;

namespace {

// An untrained model over a small vocabulary: sampling rules do not need a
// good model, only a deterministic one.
struct Fixture {
  Vocab vocab{{"jinyong", "gulong"}, {U'令', U'狐', U'冲', U'任', U'我', U'行', U'张', U'三'}};
  ModelConfig cfg{vocab.size(), 6, 8, 2, 0.0};
  cpu::CpuBackend<float> be;
  Model<float> model{be, cfg};
  NameSets known;
  Fixture() {
    auto p = init_params(cfg, 5);
    // Make END likelier so names end at a reasonable length.
    const ParamLayout layout(cfg);
    p[layout.at("fc.bias").offset + kEnd] = 2.0f;
    // Styles far apart, so a style visibly changes what is sampled.
    const std::size_t emb = layout.at("embedding.weight").offset;
    for (int e = 0; e < cfg.embed; ++e) {
      p[emb + vocab.start_id(0) * cfg.embed + e] = 3.0f * (e % 2 ? 1 : -1);
      p[emb + vocab.start_id(1) * cfg.embed + e] = -3.0f * (e % 2 ? 1 : -1);
    }
    model.set_params(p);
  }
};

// 40 names of one or two characters: few enough that a list repeats the
// names a test then marks as training names, words or rare endings.
SampleOptions short_names() {
  SampleOptions o;
  o.n = 40;
  o.max_len = 2;
  o.max_attempts = 100000;
  return o;
}

std::vector<std::string> strings(const std::vector<SampledName>& v) {
  std::vector<std::string> out;
  for (const auto& s : v) out.push_back(utf8::encode(s.name));
  return out;
}

}  // namespace

TEST(Sampler, SameSeedSameNamesOtherSeedOtherNames) {
  Fixture f;
  SampleOptions o;
  o.n = 15;
  const auto a = strings(sample_names(f.model, f.vocab, f.known, o));
  const auto b = strings(sample_names(f.model, f.vocab, f.known, o));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), 15u);
  o.seed = 2;
  EXPECT_NE(strings(sample_names(f.model, f.vocab, f.known, o)), a);
}

TEST(Sampler, NamesAreDistinct) {
  Fixture f;
  SampleOptions o;
  o.n = 30;
  const auto a = strings(sample_names(f.model, f.vocab, f.known, o));
  std::set<std::string> unique(a.begin(), a.end());
  EXPECT_EQ(unique.size(), a.size());
}

TEST(Sampler, TopKOneIsGreedy) {
  Fixture f;
  SampleOptions o;
  o.top_k = 1;
  o.n = 1;
  const auto a = sample_names(f.model, f.vocab, f.known, o);
  ASSERT_EQ(a.size(), 1u);
  // Rebuild the argmax path by hand from the model's logits.
  std::u32string greedy;
  f.model.begin_inference(1);
  std::vector<int32_t> tok{f.vocab.start_id(0)};
  for (int step = 0; step < o.max_len + 1; ++step) {
    const auto& logits = f.model.infer_step(tok);
    int best = -1;
    for (int i = 0; i < f.vocab.size(); ++i) {
      if (i >= 1 && i <= f.vocab.num_styles()) continue;  // START is never predicted
      if (i == kEnd && step == 0) continue;               // min_len 1
      if (best < 0 || logits[i] > logits[best]) best = i;
    }
    if (best == kEnd) break;
    greedy.push_back(f.vocab.char_of(best));
    tok[0] = best;
  }
  EXPECT_EQ(utf8::encode(a[0].name), utf8::encode(greedy));
  // And greedy with another seed is the same name.
  o.seed = 99;
  EXPECT_EQ(sample_names(f.model, f.vocab, f.known, o)[0].name, a[0].name);
}

TEST(Sampler, PrefixStyleAndLengthLimitsAreHonoured) {
  Fixture f;
  SampleOptions o;
  o.n = 10;
  o.prefix = U"张";
  o.style = 1;
  o.min_len = 3;
  o.max_len = 4;
  o.max_attempts = 100000;
  const auto names = sample_names(f.model, f.vocab, f.known, o);
  EXPECT_EQ(names.size(), 10u);
  for (const auto& s : names) {
    EXPECT_EQ(s.name[0], U'张');
    EXPECT_GE(s.name.size(), 3u);
    EXPECT_LE(s.name.size(), 4u);
  }
  o.style = 0;
  EXPECT_NE(strings(sample_names(f.model, f.vocab, f.known, o)), strings(names)) << "style had no effect";
}

TEST(Sampler, NovelExcludesTrainingAndValidationNames) {
  Fixture f;
  SampleOptions o = short_names();
  const auto all = sample_names(f.model, f.vocab, f.known, o);
  ASSERT_GE(all.size(), 4u);
  f.known.train.emplace(all[0].name, 0);
  f.known.val.emplace(all[1].name, 0);
  const auto labelled = sample_names(f.model, f.vocab, f.known, o);
  bool saw_train = false, saw_val = false;
  for (const auto& s : labelled) {
    saw_train |= s.name == all[0].name && s.origin == NameOrigin::Train;
    saw_val |= s.name == all[1].name && s.origin == NameOrigin::Val;
  }
  EXPECT_TRUE(saw_train && saw_val);
  o.novel = true;
  for (const auto& s : sample_names(f.model, f.vocab, f.known, o)) {
    EXPECT_EQ(s.origin, NameOrigin::New);
    EXPECT_NE(s.name, all[0].name);
    EXPECT_NE(s.name, all[1].name);
  }
}

// A new name that is a common word (海岛) is not a name: refused and
// counted; the same word as a training name (a cast's 双儿) is let through.
TEST(Sampler, WordsAreRefusedUnlessATrainingName) {
  Fixture f;
  SampleOptions o = short_names();
  const auto all = sample_names(f.model, f.vocab, f.known, o);
  ASSERT_GE(all.size(), 4u);
  const std::unordered_set<std::u32string> words{all[0].name, all[1].name, all[2].name};
  f.known.train.emplace(all[2].name, 0);
  o.words = &words;
  SampleStats st;
  const auto kept = sample_names(f.model, f.vocab, f.known, o, &st);
  std::set<std::u32string> got;
  for (const auto& s : kept) got.insert(s.name);
  EXPECT_FALSE(got.count(all[0].name) || got.count(all[1].name));
  EXPECT_TRUE(got.count(all[2].name)) << "a training name that is also a word is a name";
  EXPECT_GE(st.words, 2);
  EXPECT_NE(describe_shortfall(st, 3, 40).find(std::to_string(st.words) + " words,"), std::string::npos);
}

// A new name ending in a rare ending (张小, 文何) is refused and counted;
// a training name ending so is let through, and one character alone has no
// ending to judge.
TEST(Sampler, RareEndingsAreRefusedUnlessATrainingName) {
  Fixture f;
  SampleOptions o = short_names();
  const auto all = sample_names(f.model, f.vocab, f.known, o);
  ASSERT_GE(all.size(), 4u);
  std::u32string ending_rarely;  // the first name of two characters
  for (const auto& s : all) {
    if (ending_rarely.empty() && s.name.size() == 2) ending_rarely = s.name;
  }
  ASSERT_FALSE(ending_rarely.empty());
  f.known.train.emplace(ending_rarely, 0);
  o.rare_endings = {ending_rarely.back()};
  SampleStats st;
  bool kept_training_name = false;
  for (const auto& s : sample_names(f.model, f.vocab, f.known, o, &st)) {
    if (s.origin == NameOrigin::New && s.name.size() >= 2) EXPECT_NE(s.name.back(), ending_rarely.back());
    kept_training_name |= s.name == ending_rarely;
  }
  EXPECT_TRUE(kept_training_name) << "a training name that ends so is a name";
  EXPECT_GE(st.rare_endings, 1);
  EXPECT_NE(describe_shortfall(st, 3, 40).find(std::to_string(st.rare_endings) + " rare endings,"), std::string::npos);
}

// With own_style_only, a name the model learnt as another style's only is
// refused and counted; one of this style's, or one both styles' lists hold,
// is kept; and without it nothing is refused.
TEST(Sampler, AnotherStylesNamesAreRefusedInAStylesList) {
  Fixture f;
  SampleOptions o = short_names();
  o.style = 0;
  const auto all = sample_names(f.model, f.vocab, f.known, o);
  ASSERT_GE(all.size(), 4u);
  f.known = NameSets::of({{all[1].name, all[2].name}, {all[0].name, all[2].name}}, {{}, {all[3].name}});
  SampleStats loose;
  o.own_style_only = false;
  EXPECT_EQ(strings(sample_names(f.model, f.vocab, f.known, o, &loose)), strings(all));
  EXPECT_EQ(loose.other_styles, 0);
  o.own_style_only = true;
  SampleStats st;
  std::set<std::u32string> got;
  for (const auto& s : sample_names(f.model, f.vocab, f.known, o, &st)) got.insert(s.name);
  EXPECT_FALSE(got.count(all[0].name)) << "style 1's training name";
  EXPECT_FALSE(got.count(all[3].name)) << "style 1's validation name";
  EXPECT_TRUE(got.count(all[1].name)) << "the style's own name";
  EXPECT_TRUE(got.count(all[2].name)) << "a name both styles hold";
  EXPECT_GE(st.other_styles, 2);
  EXPECT_NE(describe_shortfall(st, 3, 40).find(std::to_string(st.other_styles) + " of another style)"),
            std::string::npos);
}

TEST(NameSets, ANameIsAnotherStylesOnlyWhenNoListOfTheStyleOrOfAThirdHoldsIt) {
  const NameSets k = NameSets::of({{U"郭靖"}, {U"阿飞", U"郭靖"}, {U"燕南天"}}, {{U"黄蓉"}, {U"燕南天"}, {}});
  EXPECT_TRUE(k.of_another_style(U"阿飞", 0));
  EXPECT_FALSE(k.of_another_style(U"阿飞", 1));
  EXPECT_TRUE(k.of_another_style(U"黄蓉", 1)) << "style 0's validation name";
  EXPECT_FALSE(k.of_another_style(U"郭靖", 2)) << "held by two styles: no one style's";
  EXPECT_FALSE(k.of_another_style(U"燕南天", 0)) << "two styles' lists, train and val";
  EXPECT_FALSE(k.of_another_style(U"无名", 0)) << "a new name";
  EXPECT_EQ(k.origin(U"黄蓉"), NameOrigin::Val);
  EXPECT_EQ(k.origin(U"郭靖"), NameOrigin::Train);
}

// The list's length bounds default to the style's training names'.
TEST(Sampler, DefaultLengthsAreTheStylesShortestAndLongestTrainingNames) {
  const std::vector<std::vector<std::u32string>> train{{U"令狐冲", U"张三", U"东方不败"}, {}};
  EXPECT_EQ(default_min_len(train, 0, 16), 2);
  EXPECT_EQ(default_max_len(train, 0, 2), 4);
  EXPECT_EQ(default_max_len(train, 0, 6), 6) << "never below the --min-len or --prefix asked for";
  EXPECT_EQ(default_min_len(train, 1, 16), 1) << "a style with no training names";
  EXPECT_EQ(default_max_len(train, 1, 1), SampleOptions{}.max_len);
  EXPECT_EQ(list_defaults().temperature, kListTemperature);
  EXPECT_EQ(list_defaults().top_p, kListTopP);
  EXPECT_EQ(SampleOptions{}.temperature, 1.0) << "scores and percentiles sample the model itself";
}

TEST(Sampler, StopsWhenAttemptsRunOutAndSaysWhy) {
  Fixture f;
  SampleOptions o;
  o.n = 1000;  // more distinct one-character names than the vocabulary has
  o.max_len = 1;
  o.max_attempts = 500;
  SampleStats st;
  const auto names = sample_names(f.model, f.vocab, f.known, o, &st);
  EXPECT_LE(names.size(), 8u);
  EXPECT_EQ(st.attempts, 500);
  EXPECT_GT(st.repeats + st.too_long, 0);
}

TEST(Sampler, BadOptionsAreRejectedByName) {
  Fixture f;
  auto err = [&](SampleOptions o) {
    try {
      sample_names(f.model, f.vocab, f.known, o);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  SampleOptions o;
  o.temperature = 0;
  EXPECT_NE(err(o).find("--temperature"), std::string::npos);
  o = {};
  o.top_p = 1.5;
  EXPECT_NE(err(o).find("--top-p"), std::string::npos);
  o = {};
  o.prefix = U"龙";
  EXPECT_NE(err(o).find("not in the model's vocabulary"), std::string::npos);
  o = {};
  o.min_len = 5;
  o.max_len = 3;
  EXPECT_NE(err(o).find("--max-len"), std::string::npos);
}

TEST(PickToken, TopPKeepsTheSmallestNucleus) {
  const float logits[4] = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
  std::vector<char> allowed(4, 1);
  // With top_p = 0.75 only ids 0 and 1 remain; u near 1 must pick id 1, never 2 or 3.
  EXPECT_EQ(pick_token(logits, 4, allowed, 1.0, 0, 0.75, 0.999), 1);
  EXPECT_EQ(pick_token(logits, 4, allowed, 1.0, 0, 1.0, 0.999), 3);
  EXPECT_EQ(pick_token(logits, 4, allowed, 1.0, 2, 1.0, 0.999), 1);
  allowed[0] = 0;
  EXPECT_EQ(pick_token(logits, 4, allowed, 1.0, 1, 1.0, 0.0), 1);
}
