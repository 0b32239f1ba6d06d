// 谐音 of the whole name (issue 27): data/sounds_like.tsv, its loader, the
// matcher, explain's warning and the search that never proposes such a name
// unless asked.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "naming_test_util.hpp"
#include "test_util.hpp"
#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/naming/explain.hpp"
#include "wuxia/naming/name_search.hpp"
#include "wuxia/naming/sounds_like.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/checkpoint.hpp"
#include "wuxia/train/trainer.hpp"

using namespace wuxia;
using test::error_of;

namespace {

const NamingData& bundled() { return test::bundled_naming(); }

std::vector<std::string> syllables(const std::string& pinyin) {
  std::vector<std::string> out;
  std::istringstream in(pinyin);
  for (std::string s; in >> s;) out.push_back(s);
  return out;
}

// The words `name` matches, as explain reads it.
std::set<std::u32string> words_of(const std::u32string& name) {
  std::set<std::u32string> out;
  for (const auto& m : explain_name(bundled(), name).sounds_like) out.insert(m.word);
  return out;
}

const SoundsLikeMatch* find(const std::vector<SoundsLikeMatch>& ms, const std::u32string& word) {
  for (const auto& m : ms) {
    if (m.word == word) return &m;
  }
  return nullptr;
}

}  // namespace

// ---- the table and its loader --------------------------------------------------

TEST(SoundsLike, ParserErrorsNameFileAndLine) {
  const HanziTable& h = bundled().hanzi;
  const std::string head = "# FORMAT: test\n";
  const std::string good = "肚子疼\tdù zi téng\tbody: stomach ache\n";
  struct Case {
    std::string text, expect;
  } cases[] = {
      {head + good + "饭桶\tfàn tǒng\n", "s.tsv:3: 2 field(s), expected 3"},
      {head + good + "屎\tshǐ\tfilth: x\n", "s.tsv:3: word '屎' has 1 character(s), expected 2..4"},
      {head + good + "断子绝孙了\tduàn zǐ jué sūn le\tdeath: x\n", "s.tsv:3: word '断子绝孙了' has 5 character(s)"},
      {head + good + "饭桶\tfàn\tinsult: x\n", "s.tsv:3: word '饭桶' has 2 character(s) but 1 syllable(s)"},
      {head + good + "饭桶\tfàn  tǒng\tinsult: x\n", "s.tsv:3: pinyin 'fàn  tǒng' has an empty syllable"},
      {head + good + "饭桶\tfan4 tong3\tinsult: x\n", "s.tsv:3: syllable 'fan4' of '饭桶' is not lowercase pinyin"},
      {head + good + "饭桶\tFàn tǒng\tinsult: x\n", "s.tsv:3: syllable 'Fàn'"},
      {head + good + "龘桶\tdá tǒng\tinsult: x\n", "s.tsv:3: '龘' of '龘桶' is not in hanzi.tsv"},
      {head + good + "饭桶\tfàn tóng\tinsult: x\n", ""},  // another tone of a reading: allowed
      {head + good + "饭桶\tfàn dǒng\tinsult: x\n", "s.tsv:3: '桶' of '饭桶' is read 'dǒng', which is none of its"},
      {head + good + "狐狸\thu li\tanimal: x\n", "s.tsv:3: 'hu li' has no toned syllable"},
      {head + good + "饭桶\tfàn tǒng\tgood-for-nothing\n", "s.tsv:3: why 'good-for-nothing' is not 'theme: meaning'"},
      {head + good + "饭桶\tfàn tǒng\tinsult: \n", "s.tsv:3: why 'insult: ' is not 'theme: meaning'"},
      {head + good + good, "s.tsv:3: word '肚子疼' is listed twice"},
      {head + good + "# late\n", "s.tsv:3: a header line"},
      {head + good + "饭桶\t\tinsult: x\n", "s.tsv:3: field 2 is empty"},
      {head, "s.tsv: no words"},
  };
  for (const auto& c : cases) {
    const std::string e = error_of([&] { SoundsLikeTable::parse(c.text, "s.tsv", h); });
    if (c.expect.empty()) {
      EXPECT_EQ(e, "") << c.text;
    } else {
      EXPECT_NE(e.find(c.expect), std::string::npos) << c.expect << " | got: " << e;
    }
  }
  EXPECT_NE(error_of([&] { SoundsLikeTable::load("/nonexistent/sounds_like.tsv", h); }).find("sounds_like.tsv"),
            std::string::npos);
  const SoundsLikeTable t = SoundsLikeTable::parse(head + good, "s.tsv", h);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t.all()[0].chars, U"肚子疼");
  EXPECT_EQ(t.all()[0].tones, (std::vector<int>{4, 5, 2}));
}

TEST(SoundsLike, BundledTableHasAtLeast300WordsEachOfKnownCharactersAndOneSyllableEach) {
  // Read as plain text, not through the loader: the format is the contract.
  const std::string text = test::read_file(std::string(WUXIA_DATA_DIR) + "/sounds_like.tsv");
  std::istringstream lines(text);
  std::set<std::string> keys, words;
  std::size_t rows = 0, made = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# ", 0) == 0) {
      ASSERT_EQ(rows, 0u) << "a header line after the rows: " << line;
      const std::string key = line.substr(2, line.find(':') - 2);
      keys.insert(key);
      if (key == "MADE") made = std::stoul(line.substr(8));
      continue;
    }
    ++rows;
    std::vector<std::string> f;
    std::istringstream fields(line);
    for (std::string x; std::getline(fields, x, '\t');) f.push_back(x);
    ASSERT_EQ(f.size(), 3u) << line;
    const std::u32string w = utf8::decode_or_throw(f[0], f[0]);
    EXPECT_EQ(syllables(f[1]).size(), w.size()) << line;
    for (char32_t c : w) EXPECT_NE(bundled().hanzi.find(c), nullptr) << line;
    EXPECT_NE(f[2].find(": "), std::string::npos) << line << ": no theme";
    EXPECT_TRUE(words.insert(f[0]).second) << f[0] << " twice";
  }
  EXPECT_GE(rows, 300u);
  EXPECT_EQ(made, rows) << "the MADE line's count";
  EXPECT_EQ(keys, (std::set<std::string>{"SOURCE", "LICENSE", "MADE", "FORMAT"}));
  EXPECT_EQ(bundled().sounds_like.size(), rows);
  // Single characters are ill_omened.txt's; ordinary words that common names
  // would meet are left out.
  for (const char* w : {"狐狸", "阳痿", "饭桶", "肚子疼", "神经病", "禽兽"}) EXPECT_TRUE(words.count(w)) << w;
}

// ---- the matcher -----------------------------------------------------------------

TEST(SoundsLike, EveryClassicTrapMatchesItsWord) {
  const std::string text = test::read_file(std::string(WUXIA_TEST_DIR) + "/sounds_like_traps.tsv");
  std::istringstream lines(text);
  int traps = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    const std::u32string name = utf8::decode_or_throw(line.substr(0, tab), line);
    const std::u32string word = utf8::decode_or_throw(line.substr(tab + 1), line);
    EXPECT_TRUE(words_of(name).count(word)) << line;
    ++traps;
  }
  EXPECT_EQ(traps, 30);
}

TEST(SoundsLike, DuZiTengMatchesDespiteTheNeutralTone) {
  const Explanation e = explain_name(bundled(), U"杜子腾");
  EXPECT_EQ(e.pinyin, syllables("dù zǐ téng"));
  const SoundsLikeMatch* m = find(e.sounds_like, U"肚子疼");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->pinyin, "dù zi téng");
  EXPECT_TRUE(m->tones) << "a neutral tone agrees with any";
  EXPECT_FALSE(m->written);
  EXPECT_EQ(m->start, 0u);
  EXPECT_NE(m->why.find("stomach"), std::string::npos);
}

TEST(SoundsLike, ANeutralToneMatchesAnyTone) {
  const SoundsLikeTable t = SoundsLikeTable::parse("狐狸\thú li\tanimal: fox\n", "t.tsv", bundled().hanzi);
  for (const char* li : {"lī", "lí", "lǐ", "lì", "li"}) {
    const auto ms = t.match({"hú", li});
    ASSERT_EQ(ms.size(), 1u) << li;
    EXPECT_TRUE(ms[0].tones) << li;
  }
  EXPECT_TRUE(t.match({"hū", "lì"}).empty()) << "the one toned syllable must agree";
}

TEST(SoundsLike, ThreeSyllablesMatchOnSyllablesAlone) {
  const auto ms = bundled().sounds_like.match(syllables("shěn jīng bīng"), U"沈京兵", 1);
  const SoundsLikeMatch* m = find(ms, U"神经病");
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(m->tones);
  // Three syllables with no tone in common still match.
  const SoundsLikeTable t = SoundsLikeTable::parse("神经病\tshén jīng bìng\tillness: x\n", "t.tsv", bundled().hanzi);
  EXPECT_EQ(t.match(syllables("shěn jǐng bǐng")).size(), 1u);
  EXPECT_TRUE(t.match(syllables("shěn jǐng")).empty());
}

TEST(SoundsLike, TwoSyllablesNeedTheGivenNamesTones) {
  const SoundsLikeTable& t = bundled().sounds_like;
  // The surname's tone may differ: 沈 shěn is heard as 神 shén.
  EXPECT_NE(find(t.match(syllables("shěn jīng"), U"沈晶", 1), U"神经"), nullptr);
  EXPECT_NE(find(t.match(syllables("hǎo sè"), U"郝色", 1), U"好色"), nullptr);
  // A given name's tone is chosen: 吴丽 wú lì is not 无理 wú lǐ.
  EXPECT_EQ(find(t.match(syllables("wú lì"), U"吴丽", 1), U"无理"), nullptr);
  EXPECT_NE(find(t.match(syllables("wú lǐ"), U"吴理", 1), U"无理"), nullptr);
  // Within the given name every tone counts: 慧琪 huì qí is not 晦气 huì qì.
  EXPECT_TRUE(t.match(syllables("huì qí"), U"慧琪").empty());
  EXPECT_NE(find(t.match(syllables("huì qì"), U"慧气"), U"晦气"), nullptr);
  // Both tones differ: never.
  EXPECT_EQ(find(t.match(syllables("xióng zhāo"), U"熊昭", 1), U"胸罩"), nullptr);
}

TEST(SoundsLike, ARunMaySpanSurnameAndGivenNameButNotLieWithinTheSurname) {
  const SoundsLikeTable t = SoundsLikeTable::parse("饭桶\tfàn tǒng\tinsult: x\n司马\tsī mǎ\ttest: the surname itself\n",
                                                   "t.tsv", bundled().hanzi);
  const auto fan = t.match(syllables("fàn tǒng"), U"范统", 1);
  ASSERT_EQ(fan.size(), 1u);
  EXPECT_EQ(fan[0].start, 0u);
  EXPECT_TRUE(fan[0].tones);
  EXPECT_TRUE(t.match(syllables("sī mǎ guāng"), U"司马光", 2).empty()) << "the family's own surname";
  EXPECT_EQ(t.match(syllables("sī mǎ guāng"), U"司马光", 0).size(), 1u);
  // The search's check: the run's surname syllables are told apart too.
  const SoundsLikeSyllable fan_tong[] = {t.syllable("fán"), t.syllable("tǒng")};
  EXPECT_NE(t.run_matches(fan_tong, 2, 1), nullptr) << "the surname's tone may differ";
  EXPECT_EQ(t.run_matches(fan_tong, 2, 0), nullptr) << "a given name's may not";
}

TEST(SoundsLike, ANameThatWritesTheWordMatchesWhateverItsReading) {
  const Explanation e = explain_name(bundled(), U"单人凤");
  EXPECT_EQ(e.pinyin[0], "shàn");  // 单 as a surname
  const SoundsLikeMatch* m = find(e.sounds_like, U"单人");
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->written);
  EXPECT_FALSE(m->tones);
  const Explanation pan = explain_name(bundled(), U"潘金莲");  // kept: find points into its matches
  const SoundsLikeMatch* p = find(pan.sounds_like, U"潘金莲");
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->written);
  EXPECT_TRUE(p->tones);
}

TEST(SoundsLike, OrdinaryNamesMatchNothing) {
  for (const char32_t* name : {U"张伟", U"李娜", U"王芳", U"刘洋", U"陈静", U"杨秀英", U"黄建国", U"赵敏", U"周杰",
                               U"吴丽", U"胡军", U"朱婷", U"林子英", U"欧阳修", U"单田芳"}) {
    EXPECT_TRUE(words_of(name).empty()) << utf8::encode(name) << " matches " << utf8::encode(*words_of(name).begin());
  }
}

TEST(SoundsLike, TheMatcherTakesAnySyllables) {
  // The syllables need not be explain's: a fixed reading of a polyphone is
  // what the matcher then sees.
  const SoundsLikeTable& t = bundled().sounds_like;
  EXPECT_NE(find(t.match(syllables("yáng wěi")), U"阳痿"), nullptr);
  EXPECT_TRUE(t.match(syllables("yáng wēi")).empty());
  EXPECT_NE(error_of([&] { t.match(syllables("yáng wěi"), U"杨"); }).find("1 character(s) but 2 syllable(s)"),
            std::string::npos);
}

// ---- explain -----------------------------------------------------------------------

TEST(SoundsLike, ExplainJsonHasTheFieldEmptyForACleanName) {
  const nlohmann::json clean = to_json(explain_name(bundled(), U"张伟"));
  ASSERT_TRUE(clean.contains("sounds_like"));
  EXPECT_TRUE(clean["sounds_like"].is_array());
  EXPECT_TRUE(clean["sounds_like"].empty());
  const nlohmann::json trap = to_json(explain_name(bundled(), U"杜子腾"));
  ASSERT_EQ(trap["sounds_like"].size(), 1u);
  const auto& m = trap["sounds_like"][0];
  std::set<std::string> keys;
  for (const auto& [k, v] : m.items()) keys.insert(k);
  EXPECT_EQ(keys, (std::set<std::string>{"word", "pinyin", "why", "tones", "written"}));
  EXPECT_EQ(m["word"], "肚子疼");
  EXPECT_EQ(m["pinyin"], "dù zi téng");
  EXPECT_EQ(m["tones"], true);
  EXPECT_EQ(m["written"], false);
}

TEST(SoundsLikeCli, ExplainWarnsUnderTheName) {
  auto r = test::run_wuxia("explain 杜子腾 沈京兵 单人凤 张伟");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("杜子腾\tdù zǐ téng\t"), std::string::npos) << r.out;
  const auto under = r.out.find("\n", r.out.find("杜子腾\t")) + 1;
  EXPECT_EQ(r.out.substr(under, r.out.find('\n', under) - under),
            "  sounds like 肚子疼 (dù zi téng): body: stomach ache (杜子腾)")
      << r.out;
  EXPECT_NE(r.out.find("  sounds like 神经病 (shén jīng bìng, tones differ): illness: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  looks like 单人 (dān rén): "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("like", r.out.find("张伟\t")), std::string::npos) << r.out;
  r = test::run_wuxia("explain --json 张伟");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(nlohmann::json::parse(r.out)["sounds_like"].empty()) << r.out;
}

TEST(SoundsLikeCli, NameRefusesAWithCharacterThatSoundsLikeAWordWithTheSurname) {
  auto r = test::run_wuxia("name --surname 杨 --with 伟@1");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("--with 伟: 杨伟 sounds like 阳痿 (yáng wěi: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--allow-sounds-like"), std::string::npos) << r.out;
  r = test::run_wuxia("name --surname 杨 --with 伟 --given-len 1");
  EXPECT_NE(r.out.find("sounds like 阳痿"), std::string::npos) << r.out;
}

// ---- the search --------------------------------------------------------------------

namespace {

// A small model trained on 李XY and 王XY for every pair of a few characters
// (tests/test_naming.cpp's NamingModel, with 杨 伟 杜 子 腾 饭 桶 among them):
// for 杨 it would propose 杨伟 (阳痿) and 杨饭桶, for 杜 with 子 first 杜子腾
// (肚子疼).
class SoundsLikeModel : public test::TinyNamingSuite<SoundsLikeModel> {
 public:
  static std::string names() { return test::pair_names(U"李王", kChars); }
  static constexpr uint64_t kSeed = 3;
  static constexpr int kSteps = 200;

 protected:
  static constexpr const char32_t* kChars = U"丽美芳英伟强刚军淑贞国明子心腾杨杜饭桶";
  static std::vector<NameProposal> propose(const NameRequest& q, NameSearchStats* stats = nullptr) {
    return propose_names(*model_, ck_->vocab(), KnownNames{&ck_->train_names, &ck_->val_names}, bundled(), q, stats);
  }
  static std::set<std::u32string> given_names(const std::vector<NameProposal>& ps) {
    std::set<std::u32string> out;
    for (const auto& p : ps) out.insert(p.explanation.given);
    return out;
  }
};

}  // namespace

TEST_F(SoundsLikeModel, OneCharacterNamesThatSoundLikeAWordAreNeverProposedUnlessAsked) {
  NameRequest q;
  q.surname = U"杨";
  q.given_len = 1;
  q.level = 3;
  q.n = 20;
  q.allow_namesakes = true;  // 杨伟 is a historical person too (ancient.txt): this test is of the sound alone
  NameSearchStats stats;
  auto names = propose(q, &stats);
  EXPECT_FALSE(given_names(names).count(U"伟"));
  EXPECT_EQ(stats.sounds_like, 1);
  for (const auto& p : names) EXPECT_TRUE(p.explanation.sounds_like.empty()) << utf8::encode(p.explanation.name);
  q.allow_sounds_like = true;
  names = propose(q, &stats);
  EXPECT_EQ(stats.sounds_like, 0);
  bool warned = false;
  for (const auto& p : names) {
    if (p.explanation.given != U"伟") continue;
    ASSERT_EQ(p.explanation.sounds_like.size(), 1u);
    EXPECT_EQ(p.explanation.sounds_like[0].word, U"阳痿");
    warned = true;
  }
  EXPECT_TRUE(warned) << "杨伟 is proposed with --allow-sounds-like, and carries the warning";
}

TEST_F(SoundsLikeModel, TwoCharacterNamesAreCheckedAsTheLastCharacterIsChosenAndTheListStillFills) {
  NameRequest q;
  q.surname = U"杜";
  q.with = U'子';
  q.with_pos = 1;
  q.level = 3;
  q.n = 10;
  NameSearchStats stats;
  auto names = propose(q, &stats);
  EXPECT_EQ(names.size(), 10u) << "the list still fills";
  EXPECT_FALSE(given_names(names).count(U"子腾")) << "杜子腾: the run 肚子疼 spans the surname";
  EXPECT_GE(stats.sounds_like, 1);
  for (const auto& p : names) EXPECT_TRUE(p.explanation.sounds_like.empty()) << utf8::encode(p.explanation.name);
  q.allow_sounds_like = true;
  q.n = 20;  // every 杜子X
  names = propose(q, &stats);
  EXPECT_TRUE(given_names(names).count(U"子腾"));
  // Without --with, no name begins 杨伟: the first character is passed over.
  NameRequest y;
  y.surname = U"杨";
  y.level = 3;
  y.n = 60;
  names = propose(y, &stats);
  EXPECT_EQ(names.size(), 60u);
  EXPECT_GE(stats.sounds_like, 1);
  for (const auto& p : names) {
    EXPECT_NE(p.explanation.given[0], U'伟') << utf8::encode(p.explanation.name);
    EXPECT_TRUE(p.explanation.sounds_like.empty()) << utf8::encode(p.explanation.name);
  }
  y.allow_sounds_like = true;
  bool yang_wei = false;
  for (const auto& p : propose(y)) yang_wei = yang_wei || p.explanation.given[0] == U'伟';
  EXPECT_TRUE(yang_wei);
}

TEST_F(SoundsLikeModel, AWordWithinTheGivenNameIsCaughtToo) {
  NameRequest q;
  q.surname = U"杨";
  q.with = U'饭';
  q.with_pos = 1;
  q.level = 3;
  q.n = 20;  // every 杨饭X
  NameSearchStats stats;
  EXPECT_FALSE(given_names(propose(q, &stats)).count(U"饭桶"));
  EXPECT_EQ(stats.sounds_like, 1);
  q.allow_sounds_like = true;
  const auto names = propose(q);
  ASSERT_TRUE(given_names(names).count(U"饭桶"));
  for (const auto& p : names) {
    if (p.explanation.given == U"饭桶") EXPECT_EQ(p.explanation.sounds_like.at(0).word, U"饭桶");
  }
}

// ---- the measurement script ---------------------------------------------------------

TEST(SoundsLikeCheck, ScriptMeetsTheGoalsAndAgreesWithWuxia) {
  if (test::run_command("command -v python3").code != 0) GTEST_SKIP() << "python3 not installed";
  const std::string script =
      "python3 " + std::string(WUXIA_SOURCE_DIR) + "/scripts/sounds_like_check.py --wuxia " + std::string(WUXIA_BINARY);
  auto r = test::run_command(script);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("(a) traps                        30    30 = 100.0%"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("goals (traps >= 90%, ordinary <= 10%): met"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("disagree"), std::string::npos) << r.out;
  // A trap the table cannot catch fails the goal, named.
  test::TempDir dir;
  test::write_file(dir.file("traps.tsv"), "# FORMAT: test\n张伟\t阳痿\n杨伟\t阳痿\n");
  r = test::run_command(script + " --traps " + dir.file("traps.tsv"));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("missed: 张伟"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("goal missed: traps warned 50.0% < 90%"), std::string::npos) << r.out;
}
