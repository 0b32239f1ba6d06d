// Names of our time (issue 27; include/wuxia/naming/today.hpp): the today term's
// formula, its tables (data/dated.tsv, data/young.tsv) and their script, and
// the search ranking by it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "naming_test_util.hpp"
#include "test_util.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/naming/today.hpp"
#include "wuxia/platform/error.hpp"

using namespace wuxia;
using test::error_of;

namespace {

const NamingData& bundled() { return test::bundled_naming(); }

// The formula of today.hpp written out for one character of the bundled
// tables, against which TodayPrior is checked.
double expected_term(const NamingData& d, char32_t c, Sex sex, double corpus_share) {
  const HanziInfo& h = *d.hanzi.find(c);
  const double K = d.hanzi.counted(), M = d.hanzi.male_total(), F = d.hanzi.female_total();
  auto [ym, yf] = d.young.of(c);
  if (h.male + h.female < 1000) ym = yf = 0;
  if (ym < 2) ym = 0;
  if (yf < 2) yf = 0;
  const double YM = d.young.male_total(), YF = d.young.female_total();
  double adult = 0, young = 0;
  if (sex == Sex::Girl) {
    adult = (h.female + 1) / (F + K), young = (yf + 0.01) / (YF + 0.01 * K);
  } else if (sex == Sex::Boy) {
    adult = (h.male + 1) / (M + K), young = (ym + 0.01) / (YM + 0.01 * K);
  } else {
    adult = (h.male + h.female + 1) / (M + F + K), young = (ym + yf + 0.01) / (YM + YF + 0.01 * K);
  }
  const double p_today = (1 - kYoungShare) * adult + kYoungShare * young;
  return kTodayWeight * std::log(p_today) - kCorpusWeight * std::log(corpus_share) -
         (d.dated.reason(c) ? kDatedPenalty : 0.0);
}

}  // namespace

TEST(Today, TermIsTheFormulaOfTodayHpp) {
  const Vocab v({"ancient"}, {U'廷', U'梓', U'建', U'轩'});
  // Four names: 廷 in three given names, 梓 in none, 建 in one (the surname
  // 张 is not counted), 轩 in one. p_corpus(c) = (n_c + 1) / (N + C).
  const std::vector<std::u32string> corpus{U"张廷建", U"李廷", U"王廷轩", U"张三"};
  const TodayPrior p = TodayPrior::build(bundled(), v, corpus);
  const double N = 4, C = 4;
  for (Sex sex : {Sex::Any, Sex::Girl, Sex::Boy}) {
    EXPECT_NEAR(p.term(v.id_of(U'廷'), sex), expected_term(bundled(), U'廷', sex, (3 + 1) / (N + C)), 1e-12);
    EXPECT_NEAR(p.term(v.id_of(U'梓'), sex), expected_term(bundled(), U'梓', sex, (0 + 1) / (N + C)), 1e-12);
    EXPECT_NEAR(p.term(v.id_of(U'建'), sex), expected_term(bundled(), U'建', sex, (1 + 1) / (N + C)), 1e-12);
    EXPECT_NEAR(p.of(v, U"梓轩", sex), p.term(v.id_of(U'梓'), sex) + p.term(v.id_of(U'轩'), sex), 1e-12);
  }
  EXPECT_EQ(p.term(kEnd, Sex::Any), 0.0);  // not a character
  EXPECT_EQ(p.term(-1, Sex::Any), 0.0);    // not in the vocabulary
}

TEST(Today, ACharacterOfOurTimeRisesAndOneOfHistoryFalls) {
  // 梓 (梓涵 梓轩) is carried by young people and rare in history's names;
  // 廷 (廷芳 廷桂) the reverse. The model learnt both from the same corpus.
  const Vocab v({"ancient"}, {U'廷', U'梓'});
  std::vector<std::u32string> corpus(100, U"张廷芳");
  corpus.push_back(U"张梓");
  const TodayPrior p = TodayPrior::build(bundled(), v, corpus);
  for (Sex sex : {Sex::Girl, Sex::Boy}) {
    EXPECT_GT(p.term(v.id_of(U'梓'), sex), p.term(v.id_of(U'廷'), sex) + 3.0) << sex_name(sex);
  }
}

TEST(Today, ADatedCharacterLosesExactlyThePenalty) {
  ASSERT_NE(bundled().dated.reason(U'建'), nullptr);
  NamingData undated = NamingData::load(WUXIA_DATA_DIR);
  undated.dated = IllOmened::parse("建\tthe new state\n", "d.tsv");
  const Vocab v({"ancient"}, {U'建'});
  const std::vector<std::u32string> corpus{U"张建"};
  const double with = TodayPrior::build(undated, v, corpus).term(v.id_of(U'建'), Sex::Boy);
  undated.dated = IllOmened{};
  const double without = TodayPrior::build(undated, v, corpus).term(v.id_of(U'建'), Sex::Boy);
  EXPECT_NEAR(without - with, kDatedPenalty, 1e-12);
}

TEST(Today, WithoutYoungCountsTheAdultCountsAloneDecide) {
  NamingData d = NamingData::load(WUXIA_DATA_DIR);
  d.young = YoungCounts{};
  d.dated = IllOmened{};
  const Vocab v({"ancient"}, {U'明'});
  const TodayPrior p = TodayPrior::build(d, v, {});
  const HanziInfo& h = *d.hanzi.find(U'明');
  const double K = d.hanzi.counted();
  // No corpus: p_corpus = 1 / C with C = 1.
  EXPECT_NEAR(p.term(v.id_of(U'明'), Sex::Boy), kTodayWeight * std::log((h.male + 1) / (d.hanzi.male_total() + K)),
              1e-12);
}

TEST(Today, BundledTablesLoadAndEveryDatedCharacterHasItsReason) {
  const NamingData& d = bundled();
  EXPECT_GE(d.dated.size(), 60u);
  for (const auto& [c, why] : d.dated.all()) {
    EXPECT_NE(d.hanzi.find(c), nullptr) << utf8::encode(c);
    EXPECT_NE(why.find(": "), std::string::npos) << utf8::encode(c) << " " << why;  // 'era: names'
    EXPECT_EQ(d.ill_omened.reason(c), nullptr) << utf8::encode(c) << " is ill-omened already";
  }
  EXPECT_GT(d.young.size(), 1000u);
  EXPECT_GT(d.young.of(U'轩').first, 10);   // 子轩 宇轩: a boys' character of our time
  EXPECT_GT(d.young.of(U'涵').second, 10);  // 梓涵 雨涵
  EXPECT_GT(d.young.names(), 1000u);
  EXPECT_GT(d.young.name(U'浩', U'宇').first, 0);  // 浩宇: a boy's name of our time
}

TEST(Today, YoungCountsErrorsNameFileAndLine) {
  EXPECT_EQ(YoungCounts::parse("# H: x\n轩\t3\t1\n涵\t0\t4\n", "y.tsv").of(U'涵'),
            std::make_pair(int64_t{0}, int64_t{4}));
  EXPECT_NE(error_of([] { YoungCounts::parse("轩\t3\n", "y.tsv"); }).find("y.tsv:1: 2 field(s)"), std::string::npos);
  EXPECT_NE(error_of([] {
              YoungCounts::parse("轩\t3\t1\n轩\t1\t1\n", "y.tsv");
            }).find("y.tsv:2: the character is listed twice"),
            std::string::npos);
  EXPECT_NE(error_of([] { YoungCounts::parse("轩\t-3\t1\n", "y.tsv"); }).find("y.tsv:1:"), std::string::npos);
  EXPECT_NE(error_of([] { YoungCounts::parse("子轩宇\t3\t1\n", "y.tsv"); }).find("y.tsv:1: key '子轩宇'"),
            std::string::npos);
  EXPECT_NE(error_of([] { YoungCounts::parse("子轩\t3\t1\n轩\t1\t1\n", "y.tsv"); }).find("y.tsv:2: a character after"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              YoungCounts::parse("子轩\t3\t1\n子轩\t1\t1\n", "y.tsv");
            }).find("y.tsv:2: the name is listed twice"),
            std::string::npos);
  // The names' counts are apart from the characters'.
  const YoungCounts y = YoungCounts::parse("轩\t3\t1\n子轩\t5\t0\n", "y.tsv");
  EXPECT_EQ(y.name(U'子', U'轩'), std::make_pair(int64_t{5}, int64_t{0}));
  EXPECT_EQ(y.name(U'轩', U'子'), std::make_pair(int64_t{0}, int64_t{0}));
  EXPECT_EQ(y.male_total(), 3);
}

TEST(Today, ANameOfYoungPeoplesListsGainsTheBonusForItsSex) {
  NamingData d = NamingData::load(WUXIA_DATA_DIR);
  // 杼: once in the lists, and few adults carry it: its pairs are the lists' random ones (姐杼).
  d.young = YoungCounts::parse("子\t2\t2\n杼\t0\t1\n轩\t2\t2\n子杼\t0\t1\n子轩\t3\t0\n", "y.tsv");
  const Vocab v({"ancient"}, {U'子', U'杼', U'轩'});
  const TodayPrior p = TodayPrior::build(d, v, {});
  EXPECT_EQ(p.name_bonus(U'子', U'轩', Sex::Boy), kYoungNameBonus);
  EXPECT_EQ(p.name_bonus(U'子', U'轩', Sex::Any), kYoungNameBonus);
  EXPECT_EQ(p.name_bonus(U'子', U'轩', Sex::Girl), 0.0);  // the lists carry it for boys only
  EXPECT_EQ(p.name_bonus(U'轩', U'子', Sex::Boy), 0.0);
  EXPECT_EQ(p.name_bonus(U'子', U'杼', Sex::Girl), 0.0);  // a character p_young does not count
  EXPECT_NEAR(p.of(v, U"子轩", Sex::Boy),
              p.term(v.id_of(U'子'), Sex::Boy) + p.term(v.id_of(U'轩'), Sex::Boy) + kYoungNameBonus, 1e-12);
  EXPECT_NEAR(p.of(v, U"轩子", Sex::Boy), p.term(v.id_of(U'子'), Sex::Boy) + p.term(v.id_of(U'轩'), Sex::Boy), 1e-12);
}

TEST(Today, EraAndLeanFlagsAreChecked) {
  EXPECT_EQ(parse_era("today", "--era"), Era::Today);
  EXPECT_EQ(parse_era("history", "--era"), Era::History);
  EXPECT_NE(error_of([] { parse_era("modern", "--era"); }).find("--era modern: expected today"), std::string::npos);
  EXPECT_EQ(check_min_lean(0.7, "--lean"), 0.7);
  EXPECT_EQ(check_min_lean(0.5, "--lean"), 0.5);
  for (double bad : {0.49, 1.0, std::nan("")}) {
    EXPECT_NE(error_of([&] { check_min_lean(bad, "--lean"); }).find("--lean"), std::string::npos) << bad;
  }
}

// scripts/make_young.py --check redoes data/young.tsv and its notice from the
// two wheels ($WUXIA_YOUNG_WHEELS, else /tmp/young, where the script's own
// instructions put them).
TEST(Today, YoungScriptRedoesTheTableByteForByte) {
  const char* env = std::getenv("WUXIA_YOUNG_WHEELS");
  const std::string dir = env && *env ? env : "/tmp/young";
  const std::string mimesis = dir + "/mimesis-22.2.0-py3-none-any.whl", mingzi = dir + "/mingzi-1.2.3-py3-none-any.whl";
  if (!std::filesystem::exists(mimesis) || !std::filesystem::exists(mingzi)) {
    GTEST_SKIP() << "no wheels in " << dir
                 << " (pip download --no-deps mimesis==22.2.0 mingzi==1.2.3 -d /tmp/young, or set WUXIA_YOUNG_WHEELS)";
  }
  const std::string script = std::string(WUXIA_SOURCE_DIR) + "/scripts/make_young.py";
  const auto r = test::run_command("python3 " + script + " --check --mimesis " + mimesis + " --mingzi " + mingzi +
                                   " --out " + WUXIA_DATA_DIR);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("young.tsv: same"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("young.LICENSE: same"), std::string::npos) << r.out;
  // The wrong wheel is refused by name.
  const auto bad = test::run_command("python3 " + script + " --mimesis " + mingzi + " --mingzi " + mingzi);
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.out.find("expected mimesis-22.2.0"), std::string::npos) << bad.out;
}
