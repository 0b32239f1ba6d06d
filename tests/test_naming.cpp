// The naming helper (issue 19): the bundled tables and their loaders, explain,
// the request checks, and the search of `wuxia name`.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "naming_test_util.hpp"
#include "test_util.hpp"
#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/infer/scoring.hpp"
#include "wuxia/naming/explain.hpp"
#include "wuxia/naming/name_search.hpp"
#include "wuxia/naming/sex_lean.hpp"
#include "wuxia/naming/today.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/checkpoint.hpp"
#include "wuxia/train/trainer.hpp"

using namespace wuxia;
using test::error_of;

namespace {

const NamingData& bundled() { return test::bundled_naming(); }

}  // namespace

// ---- the bundled tables ------------------------------------------------------

TEST(NamingData, BundledTablesLoadWithEveryLevelOneToThree) {
  const NamingData& d = bundled();
  std::map<int, int> levels;
  for (const auto& h : d.hanzi.all()) ++levels[h.level];
  EXPECT_EQ(levels[1], 3500);
  EXPECT_EQ(levels[2], 3000);
  EXPECT_EQ(levels[3], 1605);
  EXPECT_GT(d.surnames.size(), 400u);
  EXPECT_GT(d.classics.size(), 10000u);
  EXPECT_GT(d.ill_omened.size(), 100u);
  EXPECT_GT(d.hanzi.counted(), 5000);
}

TEST(NamingData, LevelsOfTheGeneralTable) {
  EXPECT_EQ(bundled().hanzi.find(U'矗')->level, 1);
  EXPECT_EQ(bundled().hanzi.find(U'乂')->level, 2);
  EXPECT_EQ(bundled().hanzi.find(U'婷')->level,
            2);  // level 1 lacks name characters like it: why level 2 is the default
}

TEST(NamingData, RuShengCharactersReadInTones1And2AreZe) {
  for (char32_t c : std::u32string(U"一十七八白竹国杰")) {
    const HanziInfo* h = bundled().hanzi.find(c);
    ASSERT_NE(h, nullptr);
    const int tone = tone_of(h->readings.front());
    EXPECT_TRUE(tone == 1 || tone == 2) << utf8::encode(c);
    EXPECT_EQ(h->pingze, kZe) << utf8::encode(c);
  }
  EXPECT_EQ(bundled().hanzi.find(U'芳')->pingze, kPing);
  EXPECT_EQ(bundled().hanzi.find(U'美')->pingze, kZe);
}

TEST(NamingData, IllOmenedCharactersHaveReasons) {
  const std::string* why = bundled().ill_omened.reason(U'死');
  ASSERT_NE(why, nullptr);
  EXPECT_NE(why->find("death"), std::string::npos);
  EXPECT_EQ(bundled().ill_omened.reason(U'芳'), nullptr);
}

// ---- the loaders' errors -----------------------------------------------------

TEST(NamingLoaders, ErrorsNameFileAndLine) {
  const std::string head = "# FORMAT: test\n";
  const std::string good = "一\tyī\t1\t1\t仄\t5\t3\tone\n";
  struct Case {
    std::string text, expect;
  } cases[] = {
      {head + good + "丁\tdīng\t1\t2\t平\t1\n", "h.tsv:3: 6 field(s), expected 8"},
      {head + good + "丁\tdīng\t4\t2\t平\t1\t1\tx\n", "h.tsv:3: level '4'"},
      {head + good + "丁\tdīng\t1\t2\t平\t-1\t1\tx\n", "h.tsv:3: male '-1'"},
      {head + good + "丁\tdīng\t1\t2\t上\t1\t1\tx\n", "h.tsv:3: pingze '上'"},
      {head + good + good, "h.tsv:3: char '一' is out of code-point order"},
      {head + good + "丁丁\tdīng\t1\t2\t平\t1\t1\tx\n", "h.tsv:3: char '丁丁' is not one character"},
      {head + good + "丁\t\t1\t2\t平\t1\t1\tx\n", "h.tsv:3: field 2 is empty"},
      {head + good + "# late header\n", "h.tsv:3: a header line"},
      {head + "一\tyī\t1\t1\t仄\t5\t3\tone\r\n", "h.tsv:2: carriage return"},
      {head + "\xff\n", "h.tsv:2: invalid UTF-8"},
      {head, "h.tsv: no characters"},
  };
  for (const auto& c : cases) {
    const std::string e = error_of([&] { HanziTable::parse(c.text, "h.tsv"); });
    EXPECT_NE(e.find(c.expect), std::string::npos) << c.expect << " | got: " << e;
  }
  EXPECT_NE(error_of([] {
              SurnameTable::parse("万俟\tmò\n", "s.tsv");
            }).find("s.tsv:1: surname '万俟' has 2 character(s) but 1 syllable(s)"),
            std::string::npos);
  EXPECT_NE(error_of([] { Classics::parse("诗\t关雎\t-\t关关雎鸠\n", "c.tsv"); }).find("c.tsv:1: classic '诗'"),
            std::string::npos);
  EXPECT_NE(
      error_of([] { IllOmened::parse("死\tdeath\n死\tagain\n", "i.txt"); }).find("i.txt:2: char '死' is listed twice"),
      std::string::npos);
  const HanziTable t = HanziTable::parse(head + good, "h.tsv");
  ASSERT_NE(t.find(U'一'), nullptr);
  EXPECT_EQ(t.find(U'一')->readings, std::vector<std::string>{"yī"});
  EXPECT_EQ(t.find(U'丁'), nullptr);
}

TEST(NamingLoaders, MissingFileIsNamed) {
  test::TempDir dir;
  EXPECT_NE(error_of([&] { NamingData::load(dir.file("")); }).find("hanzi.tsv: cannot open"), std::string::npos);
}

TEST(NamingLoaders, TonelessAndToneOf) {
  EXPECT_EQ(toneless("zhōng"), "zhong");
  EXPECT_EQ(toneless("lǘ"), "lü");
  EXPECT_EQ(tone_of("shàn"), 4);
  EXPECT_EQ(tone_of("qí"), 2);
  EXPECT_EQ(tone_of("zi"), 5);
}

// ---- explain -------------------------------------------------------------------

TEST(Explain, SurnamesAreReadAsSurnames) {
  const std::map<std::u32string, std::vector<std::string>> expect{
      {U"单田芳", {"shàn"}}, {U"曾国藩", {"zēng"}}, {U"解缙", {"xiè"}},        {U"仇英", {"qiú"}},
      {U"朴槿惠", {"piáo"}}, {U"查良镛", {"zhā"}},  {U"万俟卨", {"mò", "qí"}}, {U"尉迟恭", {"yù", "chí"}},
  };
  for (const auto& [name, reading] : expect) {
    const Explanation e = explain_name(bundled(), name);
    EXPECT_EQ(e.surname.size(), reading.size()) << utf8::encode(name);
    for (std::size_t i = 0; i < reading.size(); ++i) EXPECT_EQ(e.pinyin[i], reading[i]) << utf8::encode(name);
  }
  // The given name keeps its characters' commonest readings: 单 alone is dān.
  EXPECT_EQ(explain_name(bundled(), U"单", true).pinyin[0], "dān");
  EXPECT_EQ(explain_name(bundled(), U"张单").pinyin[1], "dān");
  EXPECT_EQ(explain_name(bundled(), U"单田芳").pingze, U"仄平平");  // shàn is 仄 though dān is 平
}

TEST(Explain, NamesOfAClearSexLeanClearly) {
  for (const auto& n : {U"李淑贞", U"王秀英", U"陈美丽", U"张婷婷"}) {
    ASSERT_TRUE(explain_name(bundled(), n).p_female);
    EXPECT_GT(*explain_name(bundled(), n).p_female, 0.9) << utf8::encode(n);
  }
  for (const auto& n : {U"王建国", U"李志强", U"张建军", U"刘德刚"}) {
    EXPECT_LT(*explain_name(bundled(), n).p_female, 0.1) << utf8::encode(n);
  }
  EXPECT_FALSE(explain_name(bundled(), U"张卨").p_female);  // no counts: no lean, not a coin toss
}

TEST(Explain, LeanIsNaiveBayesWithEqualPriors) {
  const std::string text =
      "# FORMAT: test\n"
      "丁\tdīng\t1\t2\t平\t30\t10\tx\n"
      "七\tqī\t1\t2\t仄\t0\t0\tx\n"
      "丽\tlì\t1\t7\t仄\t10\t50\tx\n";
  const HanziTable t = HanziTable::parse(text, "h.tsv");
  const double M = 40, F = 60, K = 2;
  const double lo = std::log(11 / (F + K)) - std::log(31 / (M + K)) + std::log(51 / (F + K)) - std::log(11 / (M + K));
  const SexLean s = sex_lean(t, U"丁七丽");
  EXPECT_NEAR(s.log_odds, lo, 1e-12);
  EXPECT_EQ(s.known, 2);
  EXPECT_EQ(s.unknown, U"七");
  EXPECT_NEAR(*s.p_female(), 1 / (1 + std::exp(-lo)), 1e-12);
}

TEST(Explain, ANameFromTheShijingFindsItsLine) {
  const Explanation e = explain_name(bundled(), U"张子衿");
  ASSERT_FALSE(e.sources.empty());
  EXPECT_EQ(e.sources[0].classic, "诗经");
  EXPECT_EQ(e.sources[0].title, "子衿");
  EXPECT_NE(e.sources[0].line.find("青青子衿"), std::string::npos);
  EXPECT_TRUE(explain_name(bundled(), U"张伟").sources.empty());  // one given character: no pair to find
}

TEST(Explain, JsonHasExactlyTheIssuesFields) {
  Explanation e = explain_name(bundled(), U"张子衿");
  nlohmann::json j = to_json(e);
  std::set<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.insert(k);
  EXPECT_EQ(keys,
            (std::set<std::string>{"name", "surname", "given", "written", "pinyin", "pingze", "readings", "strokes",
                                   "levels", "gender", "gloss", "sources", "title", "namesake", "sounds_like"}));
  EXPECT_EQ(j["name"], "张子衿");
  EXPECT_EQ(j["surname"], "张");
  EXPECT_EQ(j["given"], "子衿");
  EXPECT_EQ(j["pinyin"], (std::vector<std::string>{"zhāng", "zǐ", "jīn"}));
  EXPECT_EQ(j["pingze"], "平仄平");
  EXPECT_TRUE(j["readings"].is_array() && j["readings"].empty());  // reads one way
  EXPECT_EQ(j["strokes"], (std::vector<int>{7, 3, 9}));
  EXPECT_EQ(j["levels"], (std::vector<int>{1, 1, 2}));
  EXPECT_EQ(j["gender"].size(), 1u);
  EXPECT_TRUE(j["gender"]["female"].is_number());
  EXPECT_EQ(j["gloss"].size(), 2u);
  std::set<std::string> source_keys;
  for (const auto& [k, v] : j["sources"][0].items()) source_keys.insert(k);
  EXPECT_EQ(source_keys, (std::set<std::string>{"title", "author", "line"}));
  e.percentile = 42.5;
  EXPECT_EQ(to_json(e)["percentile"], 42.5);
  EXPECT_TRUE(to_json(explain_name(bundled(), U"张卨"))["gender"]["female"].is_null());
}

TEST(Explain, UnknownCharacterIsNamed) {
  EXPECT_NE(error_of([] { explain_name(bundled(), U"张\U0001F409"); }).find("is not in hanzi.tsv"), std::string::npos);
}

// ---- the request's checks ----------------------------------------------------------

TEST(NameRequest, EachBadValueNamesItsField) {
  EXPECT_EQ(parse_sex("girl", "gender"), Sex::Girl);
  EXPECT_NE(error_of([] { parse_sex("female", "gender"); }).find("gender female: expected girl, boy or any"),
            std::string::npos);
  EXPECT_NE(error_of([] { check_level(4, "--level"); }).find("--level 4"), std::string::npos);
  EXPECT_NE(error_of([] { check_given_len(3, "--given-len"); }).find("--given-len 3: expected 1 or 2"),
            std::string::npos);
  EXPECT_NE(error_of([] { check_count(0, "-n"); }).find("-n 0"), std::string::npos);
  EXPECT_NE(error_of([] { check_count(kMaxNames + 1, "n"); }).find("n 201: expected 1..200"), std::string::npos);
  EXPECT_EQ(parse_tones("?pZ仄平", "--tones"), U"?平仄仄平");
  EXPECT_NE(error_of([] { parse_tones("平x", "tones"); }).find("tones 平x: 'x' is not 平, 仄 or ?"), std::string::npos);
  char32_t c = 0;
  int pos = -1;
  parse_with("明@2", "--with", c, pos);
  EXPECT_EQ(c, U'明');
  EXPECT_EQ(pos, 2);
  parse_with("明", "--with", c, pos);
  EXPECT_EQ(pos, 0);
  EXPECT_NE(error_of([&] { parse_with("明@3", "with", c, pos); }).find("with 明@3: the place after @ is 1 or 2"),
            std::string::npos);
  EXPECT_NE(error_of([&] { parse_with("明德", "--with", c, pos); }).find("expected one character"), std::string::npos);
  EXPECT_EQ(parse_source("诗经", "--source"), "诗经");
  EXPECT_NE(error_of([] { parse_source("红楼梦", "--source"); }).find("--source 红楼梦: expected any or one of"),
            std::string::npos);
}

TEST(NameRequest, ChecksAgainstTheTablesNameTheField) {
  NameRequest q;
  q.surname = U"张";
  q.tones = U"平平";
  EXPECT_NE(error_of([&] { check_request(bundled(), q); }).find("--tones 平平: 2 place(s), but the name has 3"),
            std::string::npos);
  q.tones = U"仄平平";
  EXPECT_NE(error_of([&] { check_request(bundled(), q); }).find("place 1 is 仄 but the surname's 张 (zhāng) is 平"),
            std::string::npos);
  q.tones = U"?平平";
  q.with = U'死';
  EXPECT_NE(error_of([&] { check_request(bundled(), q); }).find("--with 死: on the ill-omened list (death"),
            std::string::npos);
  q.with = U'乂';
  q.level = 1;
  EXPECT_NE(error_of([&] { check_request(bundled(), q); }).find("--with 乂: level 2"), std::string::npos);
  q.level = 2;
  q.with = U'美';
  q.with_pos = 1;
  EXPECT_NE(error_of([&] { check_request(bundled(), q); }).find("--with 美: is 仄, but --tones wants 平"),
            std::string::npos);
  q.with = U'张';
  EXPECT_NE(error_of([&] { check_request(bundled(), q); }).find("the surname's own character"), std::string::npos);
  q.with = U'章';
  q.with_pos = 0;
  EXPECT_NE(error_of([&] { check_request(bundled(), q); }).find("echoes the surname's syllable zhang"),
            std::string::npos);
  q.allow_repeat = true;
  EXPECT_EQ(error_of([&] { check_request(bundled(), q); }), "");
  q.with = 0;
  q.avoid = {U"张\U0001F409"};
  EXPECT_NE(error_of([&] { check_request(bundled(), q); }).find("--avoid"), std::string::npos);
  q.avoid = {};
  q.surname = U"\U0001F409";
  RequestFields json_fields;
  json_fields.surname = "surname";
  EXPECT_EQ(error_of([&] { check_request(bundled(), q, json_fields); }).rfind("surname ", 0), 0u);
  EXPECT_EQ(avoided_syllables(bundled(), {U"单田芳"}), (std::vector<std::string>{"shan", "tian", "fang"}));
}

// ---- the search ------------------------------------------------------------------------

namespace {

// A small model trained on 李XY and 王XY for every pair of a few characters,
// repeats and ill-omened ones included, so that a search without its masks
// would propose them for 张 (whose names it never saw, so they are all new).
// Quick to train: a handful of characters, H = 32.
class NamingModel : public test::TinyNamingSuite<NamingModel> {
 public:
  static std::string names() { return test::pair_names(U"李王", kChars); }
  static constexpr uint64_t kSeed = 3;
  static constexpr int kSteps = 200;

 protected:
  static constexpr const char32_t* kChars = U"丽美芳英伟强刚军死鬼张乂婷淑贞国明子心章";
  static std::vector<NameProposal> propose(const NameRequest& q, NameSearchStats* stats = nullptr) {
    return propose_names(*model_, ck_->vocab(), KnownNames{&ck_->train_names, &ck_->val_names}, bundled(), q, stats);
  }
  static NameRequest request(int n) {
    NameRequest q;
    q.surname = U"张";
    q.n = n;
    return q;
  }
};

}  // namespace

TEST_F(NamingModel, NeverProposesRepeatsTheSurnameOrIllOmenedCharactersYetFillsTheList) {
  NameRequest q = request(40);
  q.level = 3;
  const auto names = propose(q);
  ASSERT_EQ(names.size(), 40u);
  std::set<std::u32string> unique;
  for (const auto& p : names) {
    const std::u32string& g = p.explanation.given;
    ASSERT_EQ(g.size(), 2u);
    EXPECT_EQ(p.explanation.surname, U"张");
    EXPECT_NE(g[0], g[1]) << utf8::encode(g);
    for (char32_t c : g) {
      EXPECT_NE(c, U'张') << utf8::encode(g);
      EXPECT_EQ(bundled().ill_omened.reason(c), nullptr) << utf8::encode(g);
    }
    unique.insert(g);
  }
  EXPECT_EQ(unique.size(), names.size());
  // The model does like them: without the masks they would be there.
  const auto ll = log_likelihoods(*model_, ck_->vocab(), {U"张死鬼", U"张美美", U"张张丽", U"张美丽"}, 0);
  for (double x : ll) EXPECT_GT(x, names.back().log_likelihood - 3.0);
  q.allow_repeat = true;
  bool repeat = false;
  for (const auto& p : propose(q)) repeat = repeat || p.explanation.given[0] == p.explanation.given[1];
  EXPECT_TRUE(repeat) << "--allow-repeat lets 叠字 in";
}

TEST_F(NamingModel, LevelTonesAndWithAreKept) {
  NameRequest q = request(12);
  q.level = 1;
  q.tones = U"?平仄";
  q.with = U'明';
  q.with_pos = 1;
  auto names = propose(q);
  ASSERT_FALSE(names.empty());
  for (const auto& p : names) {
    const Explanation& e = p.explanation;
    EXPECT_EQ(e.given[0], U'明') << utf8::encode(e.name);
    EXPECT_EQ(e.pingze.substr(1), U"平仄") << utf8::encode(e.name);
    for (int level : e.levels) EXPECT_EQ(level, 1) << utf8::encode(e.name);
  }
  q = request(30);
  q.level = 2;
  q.with = U'英';  // either place
  names = propose(q);
  ASSERT_EQ(names.size(), 30u);
  std::set<std::size_t> places;
  for (const auto& p : names) {
    const auto at = p.explanation.given.find(U'英');
    ASSERT_NE(at, std::u32string::npos) << utf8::encode(p.explanation.name);
    places.insert(at);
    for (int level : p.explanation.levels) EXPECT_LE(level, 2);
  }
  EXPECT_EQ(places.size(), 2u) << "英 at either place";
  for (std::size_t at : {0, 1}) {
    EXPECT_LE(std::count_if(names.begin(), names.end(),
                            [&](const NameProposal& p) { return p.explanation.given[at] == U'英'; }),
              15)
        << "each place holds the --with character in at most half the list";
  }
  q.with = 0;
  q.given_len = 1;
  q.n = 5;
  for (const auto& p : propose(q)) EXPECT_EQ(p.explanation.given.size(), 1u);
}

TEST_F(NamingModel, AvoidAndExcludeKeepTheirCharactersOut) {
  NameRequest q = request(20);
  q.exclude = U"美丽";
  q.avoid = {U"李芳"};  // fāng: 芳 and any other fang
  for (const auto& p : propose(q)) {
    for (char32_t c : p.explanation.given) {
      EXPECT_EQ(std::u32string(U"美丽芳李").find(c), std::u32string::npos) << utf8::encode(p.explanation.name);
    }
  }
}

TEST_F(NamingModel, GenderIsKeptAndRankedWithTheLikelihood) {
  for (Sex sex : {Sex::Girl, Sex::Boy}) {
    NameRequest q = request(5);
    q.sex = sex;
    NameSearchStats stats;
    const auto names = propose(q, &stats);
    ASSERT_EQ(names.size(), 5u);
    EXPECT_EQ(stats.past_variety, 0);
    for (std::size_t i = 0; i < names.size(); ++i) {
      const auto& p = names[i];
      const double pf = *p.explanation.p_female;
      // A firm lean: P(the sex asked) >= 0.7 by default.
      EXPECT_TRUE(sex == Sex::Girl ? pf >= 0.7 : pf <= 0.3) << utf8::encode(p.explanation.name) << " " << pf;
      // The score is the whole name's log-likelihood plus log P(the sex asked | given name) plus the today
      // term of its characters (today.hpp).
      EXPECT_NEAR(p.log_likelihood, log_likelihoods(*model_, ck_->vocab(), {p.explanation.name}, 0)[0], 1e-3);
      const TodayPrior prior = TodayPrior::build(bundled(), ck_->vocab(), ck_->train_names[0]);
      EXPECT_NEAR(p.today, prior.of(ck_->vocab(), p.explanation.given, sex), 1e-9);
      EXPECT_NEAR(p.score, p.log_likelihood + std::log(sex == Sex::Girl ? pf : 1 - pf) + p.today, 1e-9);
      if (i > 0) EXPECT_LE(p.score, names[i - 1].score);
    }
  }
}

TEST_F(NamingModel, HistoryEraIsTheModelAloneAndTodayReranksByTheTodayTerm) {
  NameRequest q = request(10);
  q.era = Era::History;
  const auto history = propose(q);
  ASSERT_EQ(history.size(), 10u);
  for (const auto& p : history) {
    EXPECT_EQ(p.today, 0.0);
    EXPECT_EQ(p.score, p.log_likelihood) << utf8::encode(p.explanation.name);  // --gender any: no sex term
  }
  q.era = Era::Today;
  const auto today = propose(q);
  ASSERT_EQ(today.size(), 10u);
  const TodayPrior prior = TodayPrior::build(bundled(), ck_->vocab(), ck_->train_names[0]);
  for (std::size_t i = 0; i < today.size(); ++i) {
    EXPECT_NEAR(today[i].today, prior.of(ck_->vocab(), today[i].explanation.given, Sex::Any), 1e-9);
    EXPECT_NEAR(today[i].score, today[i].log_likelihood + today[i].today, 1e-9);
  }
  // The two eras rank differently: the term is not a constant.
  std::set<std::u32string> a, b;
  for (const auto& p : history) a.insert(p.explanation.given);
  for (const auto& p : today) b.insert(p.explanation.given);
  EXPECT_NE(a, b);
}

TEST_F(NamingModel, NoCharacterCarriesTheList) {
  NameRequest q = request(10);
  NameSearchStats stats;
  const auto names = propose(q, &stats);
  ASSERT_EQ(names.size(), 10u);
  std::map<char32_t, int> uses;
  for (const auto& p : names) {
    for (char32_t c : p.explanation.given) ++uses[c];
  }
  for (const auto& [c, k] : uses) EXPECT_LE(k, variety_cap(10)) << utf8::encode(c);
  EXPECT_EQ(stats.past_variety, 0);
  EXPECT_EQ(variety_cap(50), 5);
}

TEST_F(NamingModel, SourceKeepsPairsThatShareALine) {
  NameRequest q = request(5);
  q.level = 3;
  q.source = "诗经";
  const auto names = propose(q);
  ASSERT_FALSE(names.empty());
  for (const auto& p : names) {
    EXPECT_FALSE(bundled().classics.lines_with(p.explanation.given, "诗经").empty())
        << utf8::encode(p.explanation.name);
    EXPECT_FALSE(p.explanation.sources.empty());
  }
}

TEST_F(NamingModel, BoundsAreCheckedBeforeAnyWork) {
  NameRequest q = request(kMaxNames + 1);
  EXPECT_NE(error_of([&] { propose(q); }).find("-n 201: expected 1..200"), std::string::npos);
  q = request(5);
  q.given_len = 8;
  EXPECT_NE(error_of([&] { propose(q); }).find("--given-len 8: expected 1 or 2"), std::string::npos);
  q = request(kMaxNames);  // the largest request answers (its memory is bounded by the cap)
  q.level = 3;
  q.allow_repeat = true;
  EXPECT_FALSE(propose(q).empty());
}

// ---- the commands ----------------------------------------------------------------------

TEST(NamingCli, ExplainPrintsATableOrJsonLinesAndNamesWhatItSkips) {
  auto r = test::run_wuxia("explain 单田芳 张子衿");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("name\tpinyin\tpingze\tstrokes\tlevels\tP(female)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("单田芳\tshàn tián fāng\t仄平平\t8+5+7\t1 1 1\t"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("《子衿》 (诗经): 青青子衿，悠悠我心。"), std::string::npos) << r.out;
  r = test::run_wuxia("explain --json 张子衿 王建国 2>/dev/null");
  ASSERT_EQ(r.code, 0) << r.out;
  std::istringstream lines(r.out);
  std::string line;
  std::vector<nlohmann::json> objects;
  while (std::getline(lines, line)) objects.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(objects[1]["given"], "建国");
  EXPECT_FALSE(objects[0].contains("percentile"));
  r = test::run_wuxia("explain --given 张\xF0\x9F\x90\x89 淑贞");
  EXPECT_EQ(r.code, 3) << r.out;  // some names skipped
  EXPECT_NE(r.out.find("is not in hanzi.tsv"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 of 2 names skipped"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("淑贞\tshū zhēn"), std::string::npos) << r.out;
}

TEST(NamingCli, NameRejectsBadRequestsBeforeLoadingAModel) {
  test::TempDir dir;
  struct Case {
    std::string args, expect;
  } cases[] = {
      {"name", "--surname is required"},
      {"name --surname 张 -n 100000", "-n 100000: expected 1..200"},
      {"name --surname 张 --given-len 8", "--given-len 8: expected 1 or 2"},
      {"name --surname 张 --gender female", "--gender female: expected girl, boy or any"},
      {"name --surname 张 --level 0", "--level 0"},
      {"name --surname 张 --tones 平平平平", "--tones 平平平平: 4 place(s), but the name has 3"},
      {"name --surname 张 --with 死", "--with 死: on the ill-omened list"},
      {"name --surname 张 --source 红楼梦", "--source 红楼梦"},
      {"name --surname 张 --source any --given-len 1", "--source needs --given-len 2"},
      {"name --surname 张 --era modern", "--era modern: expected today"},
      {"name --surname 张 --lean 0.4", "--lean 0.4"},
      {"name --surname 张 --lean 1", "--lean 1"},
      {"name --surname 张 --checkpoint " + dir.file("none.safetensors"), "none.safetensors: no such checkpoint"},
  };
  for (const auto& c : cases) {
    const auto r = test::run_wuxia(c.args);
    EXPECT_EQ(r.code, 1) << c.args;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << c.args << "\n" << r.out;
  }
}

// The flags' words with the dashes taken off: what the JSON API must say.
std::string undashed(std::string s) {
  for (const char* flag : {"--surname", "--gender", "--level", "--tones", "--given-len", "--with", "--exclude",
                           "--avoid", "--source", "--max-strokes", "--era", "--lean", "--allow-repeat"}) {
    for (std::size_t at; (at = s.find(flag)) != std::string::npos;) s.erase(at, 2);
  }
  if (s.rfind("-n ", 0) == 0) s.erase(0, 1);
  return s;
}

TEST(NameRequestBuild, TheFlagsAndTheJsonBodyAreRefusedInTheSameWords) {
  struct Case {
    const char* what;
    NameRequestInput in;
  };
  const auto with = [](auto set) {
    NameRequestInput in;
    in.surname = "张";
    set(in);
    return in;
  };
  const std::vector<Case> cases = {
      {"no surname", NameRequestInput{}},
      {"long surname", with([](NameRequestInput& in) { in.surname = "张三丰"; })},
      {"gender", with([](NameRequestInput& in) { in.gender = "female"; })},
      {"level", with([](NameRequestInput& in) { in.level = 0; })},
      {"tones", with([](NameRequestInput& in) { in.tones = "xyz"; })},
      {"given-len", with([](NameRequestInput& in) { in.given_len = 3; })},
      {"with", with([](NameRequestInput& in) { in.with = "家@3"; })},
      {"source", with([](NameRequestInput& in) { in.source = "红楼梦"; })},
      {"source and given-len", with([](NameRequestInput& in) {
         in.source = "any";
         in.given_len = 1;
       })},
      {"era", with([](NameRequestInput& in) { in.era = "modern"; })},
      {"lean", with([](NameRequestInput& in) { in.lean = 0.4; })},
      {"max-strokes", with([](NameRequestInput& in) { in.max_strokes = 65; })},
      {"n", with([](NameRequestInput& in) { in.n = 0; })},
  };
  for (const auto& c : cases) {
    const std::string flags = error_of([&] { build_name_request(c.in, RequestFields{}); });
    const std::string body = error_of([&] { build_name_request(c.in, json_request_fields()); });
    ASSERT_FALSE(flags.empty()) << c.what << ": accepted";
    EXPECT_EQ(body, undashed(flags)) << c.what;
  }
  // And what it accepts, it reads alike.
  NameRequestInput in = with([](NameRequestInput& i) {
    i.gender = "girl", i.level = 1, i.tones = "?平仄", i.with = "家@2", i.max_strokes = 12, i.n = 7, i.lean = 0.8;
    i.avoid = {"张伟"}, i.exclude = "美", i.era = "history", i.allow_repeat = true;
  });
  const NameRequest a = build_name_request(in, RequestFields{});
  const NameRequest b = build_name_request(in, json_request_fields());
  EXPECT_EQ(a.surname, U"张");
  EXPECT_EQ(a.sex, Sex::Girl);
  EXPECT_EQ(a.with, U'家');
  EXPECT_EQ(a.with_pos, 2);
  EXPECT_EQ(a.max_strokes, 12);
  EXPECT_EQ(a.era, Era::History);
  EXPECT_EQ(a.tones, b.tones);
  EXPECT_EQ(a.avoid, b.avoid);
  EXPECT_EQ(a.n, b.n);
  EXPECT_EQ(a.min_lean, b.min_lean);
  EXPECT_TRUE(b.allow_repeat);
}

TEST(NameRequestBuild, AnUnlistedSurnameIsReadCharacterByCharacterAndSaidSo) {
  EXPECT_EQ(unlisted_surname_reading(bundled(), U"好"), "hǎo");  // a character, nobody's surname
  EXPECT_EQ(unlisted_surname_reading(bundled(), U"林"), std::nullopt);
  EXPECT_EQ(unlisted_surname_reading(bundled(), U"欧阳"), std::nullopt);
  EXPECT_EQ(unlisted_surname_reading(bundled(), U"单"), std::nullopt);  // listed, read shàn
}

TEST(NameRequestBuild, AShortListSaysWhyInEachFrontEndsFieldNames) {
  NameRequest q;
  q.n = 20;
  q.sex = Sex::Boy;
  NameSearchStats s;
  s.candidates = 40, s.known = 3, s.titles = 1, s.namesakes = 2, s.sounds_like = 4, s.other_sex = 9;
  const std::string flags = shortfall_message(q, 5, s, RequestFields{});
  EXPECT_EQ(flags,
            "only 5 of 20 names pass the filters (40 scored, 3 of the model's training names passed over, 1 titles, "
            "2 namesakes, 4 sounding like a word of data/sounds_like.tsv, 9 not reading as a boy); loosen --level, "
            "--tones, --source or --gender");
  EXPECT_EQ(shortfall_message(q, 5, s, json_request_fields()), undashed(flags));
}

TEST(NamingCli, NameJsonIsExplainsFieldsPlusTheScore) {
  test::TempDir dir;
  std::string names;
  for (char32_t a : std::u32string(U"丽美芳英伟强刚军淑贞")) {
    for (char32_t b : std::u32string(U"丽美芳英伟强刚军淑贞"))
      names += utf8::encode(std::u32string{U'李', a, b}) + "\n";
  }
  test::write_file(dir.file("pairs.txt"), names + "张三\n");  // the model must know the surname
  auto r = test::run_wuxia("train --data ancient=" + dir.file("pairs.txt") +
                           " --steps 30 --hidden 16 --embed 8 --layers 1 --device cpu --quiet --out " + dir.file("o"));
  ASSERT_EQ(r.code, 0) << r.out;
  r = test::run_wuxia("name --surname 张 -n 3 --gender girl --json --checkpoint " + dir.file("o/best.safetensors"));
  ASSERT_EQ(r.code, 0) << r.out;
  std::istringstream lines(r.out);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    std::set<std::string> keys;
    for (const auto& [k, v] : j.items()) keys.insert(k);
    EXPECT_EQ(keys, (std::set<std::string>{"name", "surname", "given", "written", "pinyin", "pingze", "readings",
                                           "strokes", "levels", "gender", "gloss", "sources", "title", "namesake",
                                           "sounds_like", "log_likelihood", "today", "score"}));
    EXPECT_GT(j["gender"]["female"].get<double>(), 0.5);
    ++n;
  }
  EXPECT_EQ(n, 3);
  r = test::run_wuxia("name --surname 张 -n 3 --checkpoint " + dir.file("o/best.safetensors"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("name\tpinyin\tpingze\tstrokes\tlevels\tP(female)\tscore"), std::string::npos) << r.out;
  r = test::run_wuxia("explain --checkpoint " + dir.file("o/best.safetensors") + " --samples 50 --json 张美丽");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(nlohmann::json::parse(r.out).contains("percentile")) << r.out;
}

TEST(Explain, LinesHoldingTheNameAsWrittenComeFirst) {
  const Explanation e = explain_name(bundled(), U"林如玉");
  ASSERT_FALSE(e.sources.empty());
  EXPECT_NE(e.sources[0].line.find("如玉"), std::string::npos) << e.sources[0].line;
}

TEST(NamingCli, ExplainAnswersEveryLineOfAFileAndNamesTheLineItSkips) {
  test::TempDir dir;
  test::write_file(dir.file("names.txt"), "# given names\n\n 淑贞 \n淑贞\n张\xF0\x9F\x90\x89\n建国\n");
  const auto r = test::run_wuxia("explain --given --json --file " + dir.file("names.txt"));
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_NE(r.out.find("names.txt:5: character"), std::string::npos) << r.out;
  std::size_t objects = 0;
  for (std::size_t at = r.out.find("\"given\":"); at != std::string::npos; at = r.out.find("\"given\":", at + 1)) {
    ++objects;
  }
  EXPECT_EQ(objects, 3u) << "repeats are answered too, so the output lines up with the file";
}

TEST_F(NamingModel, NamesTheModelWasTrainedOnAreLeftOut) {
  NameRequest q = request(5);
  q.surname = U"李";  // every 李XY of the training characters is a training (or validation) name
  q.exclude = U"王";  // the other surname: 李王丽 would be new
  NameSearchStats stats;
  EXPECT_TRUE(propose(q, &stats).empty());
  EXPECT_GT(stats.known, 0);
  EXPECT_EQ(stats.candidates, 0) << "passed over in the search, not scored and dropped";
}

TEST_F(NamingModel, NoSyllableOfTheSurnameAndAtMostTheStrokesAsked) {
  NameRequest q = request(20);
  q.level = 3;
  for (const auto& p : propose(q)) {
    EXPECT_EQ(p.explanation.given.find(U'章'), std::u32string::npos) << utf8::encode(p.explanation.name);
  }
  q.allow_repeat = true;
  bool echo = false;
  for (const auto& p : propose(q)) echo = echo || p.explanation.given.find(U'章') != std::u32string::npos;
  EXPECT_TRUE(echo) << "--allow-repeat lets 章 (zhāng, as 张) in";
  q.max_strokes = 9;
  const auto names = propose(q);
  ASSERT_FALSE(names.empty());
  for (const auto& p : names) {
    for (std::size_t i = 1; i < p.explanation.strokes.size(); ++i) {
      EXPECT_LE(p.explanation.strokes[i], 9) << utf8::encode(p.explanation.name);
    }
  }
  q.max_strokes = 65;
  EXPECT_NE(error_of([&] { propose(q); }).find("--max-strokes 65"), std::string::npos);
}

TEST_F(NamingModel, FewCandidatesFillTheListPastTheVarietyCapAndSaySo) {
  NameRequest q = request(20);
  q.level = 1;
  q.sex = Sex::Boy;  // few of the characters read as a boy's: the cap of 2 cannot hold 20 names
  NameSearchStats stats;
  const auto names = propose(q, &stats);
  EXPECT_EQ(names.size(), 20u);
  EXPECT_GT(stats.past_variety, 0);
  // The names within the cap come first, in rank order; the rest after them.
  const std::size_t within = names.size() - static_cast<std::size_t>(stats.past_variety);
  for (std::size_t i = 1; i < within; ++i) EXPECT_LE(names[i].score, names[i - 1].score);
}
