// How a name is read (issue 27): surnames by the surname table with data/surname_fixes.tsv, a given name
// that is a word by data/word_readings.tsv, else each polyphone by data/name_readings.tsv, else its first
// reading; 平仄 follows the reading; a name that reads two ways lists both; the search's --tones agrees.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "naming_test_util.hpp"
#include "test_util.hpp"
#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/model/model.hpp"
#include "wuxia/naming/explain.hpp"
#include "wuxia/naming/name_request.hpp"
#include "wuxia/naming/name_search.hpp"
#include "wuxia/naming/readings.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/checkpoint.hpp"
#include "wuxia/train/trainer.hpp"

using namespace wuxia;
using test::error_of;

namespace {

const NamingData& bundled() { return test::bundled_naming(); }

using Reading = std::vector<std::string>;

// The syllable `explain` gives character `i` of `name`, and its 平仄.
struct Read {
  std::string pinyin;
  char32_t pingze;
};
Read read_at(std::u32string_view name, std::size_t i) {
  const Explanation e = explain_name(bundled(), name);
  return {e.pinyin.at(i), e.pingze.at(i)};
}

std::string data_path(const std::string& file) { return std::string(WUXIA_DATA_DIR) + "/" + file; }

// The pypinyin wheel scripts/make_readings.py reads: $WUXIA_PYPINYIN_WHEEL, else where the script's own
// instructions put it (pip download --no-deps pypinyin==0.55.0 -d /tmp/pypinyin).
std::string pypinyin_wheel() {
  const char* env = std::getenv("WUXIA_PYPINYIN_WHEEL");
  return env && *env ? env : "/tmp/pypinyin/pypinyin-0.55.0-py2.py3-none-any.whl";
}

}  // namespace

// ---- the issue's names -------------------------------------------------------

TEST(Readings, ChangInNamesIsChangAndPing) {
  for (const auto& [name, at] :
       std::vector<std::pair<std::u32string, std::size_t>>{{U"林长卿", 1}, {U"王长春", 1}, {U"欧阳长生", 2}}) {
    const Read r = read_at(name, at);
    EXPECT_EQ(r.pinyin, "cháng") << utf8::encode(name);
    EXPECT_EQ(r.pingze, kPing) << utf8::encode(name);  // zhǎng, the first reading, is 仄
  }
  EXPECT_EQ(bundled().hanzi.find(U'长')->reading(), "zhǎng");  // the table's first reading is unchanged
}

TEST(Readings, ChongXiangZengYueXingLuoAsNamesHaveThem) {
  const std::vector<std::tuple<std::u32string, std::size_t, std::string, char32_t>> cases = {
      {U"张重明", 1, "chóng", kPing}, {U"李重阳", 1, "chóng", kPing}, {U"司马相如", 2, "xiàng", kZe},
      {U"张绍曾", 2, "zēng", kPing},  {U"陈师曾", 2, "zēng", kPing},  {U"张梦说", 2, "yuè", kZe},
      {U"张三省", 2, "xǐng", kZe},    {U"华罗庚", 1, "luó", kPing},
  };
  for (const auto& [name, at, pinyin, pingze] : cases) {
    const Read r = read_at(name, at);
    EXPECT_EQ(r.pinyin, pinyin) << utf8::encode(name);
    EXPECT_EQ(r.pingze, pingze) << utf8::encode(name) << " " << r.pinyin;
  }
  EXPECT_EQ(read_at(U"华罗庚", 0).pinyin, "huà");  // the surname 华, read as a surname
}

TEST(Readings, SurnameFixesReadRenGeOu) {
  EXPECT_EQ(read_at(U"任盈盈", 0).pinyin, "rén");
  EXPECT_EQ(read_at(U"任盈盈", 0).pingze, kPing);  // rèn would be 仄
  EXPECT_EQ(read_at(U"盖聂", 0).pinyin, "gě");
  // 区 is not in surnames.tsv: the fixes add it, so the name splits there.
  const Explanation e = explain_name(bundled(), U"区家麟");
  EXPECT_EQ(utf8::encode(e.surname), "区");
  EXPECT_EQ(e.pinyin[0], "ōu");
  EXPECT_EQ(explain_name(bundled(), U"皇甫谧").pinyin, (Reading{"huáng", "fǔ", "mì"}));
  // surnames.tsv itself stays the copy of its source.
  EXPECT_NE(test::read_file(data_path("surnames.tsv")).find("\n任\trèn\n"), std::string::npos);
}

// ---- words and two readings --------------------------------------------------

// 相 is xiàng in the name list (司马相如), but 相宜 is a word read xiāng yí: the word wins, the list's reading
// is the other.
TEST(Readings, AWordsReadingBeatsTheNameList) {
  ASSERT_NE(bundled().word_readings.find(U"相宜"), nullptr);
  const Explanation e = explain_name(bundled(), U"林相宜");
  EXPECT_EQ(e.pinyin, (Reading{"lín", "xiāng", "yí"}));
  EXPECT_EQ(e.pingze, U"平平平");
  EXPECT_EQ(e.also_read, std::vector<Reading>{(Reading{"lín", "xiàng", "yí"})});
  // A word read as the list reads it decides: 重阳 is chóng yáng, though 重 may be zhòng in other names.
  EXPECT_TRUE(explain_name(bundled(), U"李重阳").also_read.empty());
  EXPECT_EQ(explain_name(bundled(), U"张重明").also_read, std::vector<Reading>{(Reading{"zhāng", "zhòng", "míng"})});
}

TEST(Readings, ANameReadTwoWaysListsBoth) {
  const Explanation e = explain_name(bundled(), U"张乐");
  EXPECT_EQ(e.pinyin, (Reading{"zhāng", "lè"}));
  EXPECT_EQ(e.also_read, std::vector<Reading>{(Reading{"zhāng", "yuè"})});
  const nlohmann::json j = to_json(e);
  EXPECT_EQ(j["readings"], nlohmann::json::parse(R"([["zhāng", "yuè"]])"));
  EXPECT_EQ(j["pinyin"], nlohmann::json::parse(R"(["zhāng", "lè"])"));
  // One way only: an empty list, not a missing field.
  const nlohmann::json one = to_json(explain_name(bundled(), U"张子衿"));
  EXPECT_TRUE(one["readings"].is_array() && one["readings"].empty());
}

TEST(Readings, ExplainSaysAlsoRead) {
  const auto r = test::run_wuxia("explain 张乐 林长卿");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("张乐\tzhāng lè\t平仄"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  also read: zhāng yuè\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("林长卿\tlín cháng qīng\t平平平"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("also read: lín"), std::string::npos) << r.out;  // 林长卿 reads one way
  const auto j = test::run_wuxia("explain --json 张乐");
  ASSERT_EQ(j.code, 0) << j.out;
  EXPECT_EQ(nlohmann::json::parse(j.out)["readings"], nlohmann::json::parse(R"([["zhāng", "yuè"]])"));
}

// The rules on tables small enough to work by hand: the order of the readings of a name whose two characters
// each read two ways, a word read two ways, and a surname the table lacks.
TEST(Readings, ReadNameFollowsTheRulesInOrder) {
  NamingData d;
  d.hanzi = HanziTable::parse(
      "乐\tlè,yuè\t1\t5\t仄,仄\t1\t1\tx\n"
      "宜\tyí\t1\t8\t平\t1\t1\tx\n"
      "朝\tcháo,zhāo\t1\t12\t平,平\t1\t1\tx\n"
      "相\txiāng,xiàng\t1\t9\t平,仄\t1\t1\tx\n"
      "长\tzhǎng,cháng\t1\t4\t仄,平\t1\t1\tx\n"
      "阳\tyáng\t1\t6\t平\t1\t1\tx\n",
      "h.tsv");
  d.surnames = SurnameTable::parse("长\tcháng\n", "s.tsv");
  d.word_readings = WordReadings::parse("朝阳\tzhāo yáng,cháo yáng\n相宜\txiāng yí\n", "w.tsv", &d.hanzi);
  d.name_readings = NameReadings::parse("乐\tlè,yuè\tx\n朝\tzhāo,cháo\tx\n相\txiàng\tx\n", "n.tsv", &d.hanzi);
  EXPECT_EQ(read_name(d, U"长", U"乐朝"),
            (std::vector<Reading>{
                {"cháng", "lè", "zhāo"}, {"cháng", "lè", "cháo"}, {"cháng", "yuè", "zhāo"}, {"cháng", "yuè", "cháo"}}));
  EXPECT_EQ(read_name(d, U"", U"朝阳"), (std::vector<Reading>{{"zhāo", "yáng"}, {"cháo", "yáng"}}));
  EXPECT_EQ(read_name(d, U"宜", U"相宜"), (std::vector<Reading>{{"yí", "xiāng", "yí"}, {"yí", "xiàng", "yí"}}));
  EXPECT_EQ(read_name(d, U"宜", U"长"), (std::vector<Reading>{{"yí", "zhǎng"}}));  // no list entry: first reading
  EXPECT_EQ(pingze_of_reading(d, U"长相宜", {"cháng", "xiàng", "yí"}), U"平仄平");
  EXPECT_EQ(name_pingze(d, *d.hanzi.find(U'相')), kZe);
  EXPECT_EQ(given_reading(d, *d.hanzi.find(U'朝')), "zhāo");
}

// A reading the table does not list (说 yuè in a name) still has a 平仄 where its tone decides.
TEST(Readings, PingzeOfAReadingTheTableDoesNotList) {
  const HanziTable t = HanziTable::parse(
      "丁\tā,á,à\t1\t2\t平,平,仄\t0\t0\tx\n"
      "万\tē,é\t1\t3\t平,仄\t0\t0\tx\n",
      "h.tsv");
  const HanziInfo& a = *t.find(U'丁');
  EXPECT_EQ(a.pingze_of("á"), kPing);  // listed
  EXPECT_EQ(a.pingze_of("à"), kZe);
  EXPECT_EQ(a.pingze_of("ǎ"), kZe);                         // tone 3: 仄 always
  EXPECT_EQ(a.pingze_of("yā"), kPing);                      // tone 1: the listed tone-1/2 readings agree on 平
  EXPECT_EQ(t.find(U'万')->pingze_of("yā"), kToneUnknown);  // they disagree: unknown
  EXPECT_EQ(a.pingze_of("a"), kToneUnknown);                // neutral tone
}

// ---- the loaders' errors -----------------------------------------------------

TEST(Readings, ParsersNameFileAndLine) {
  const HanziTable hanzi =
      HanziTable::parse("春\tchūn\t1\t9\t平\t1\t1\tx\n长\tzhǎng,cháng\t1\t4\t仄,平\t1\t1\tx\n", "h");
  struct Case {
    std::string what, expect;
  };
  const std::vector<Case> words = {
      {"# FORMAT: t\n长春\tcháng chūn\n长春\tcháng chūn\n", "w.tsv:3: word '长春' is listed twice"},
      {"# FORMAT: t\n长春\tcháng\n", "w.tsv:2: word '长春' has 2 characters but 'cháng' 1 syllable(s)"},
      {"长春\tcháng chūn,cháng  chūn\n", "w.tsv:1: pinyin 'cháng chūn,cháng  chūn' has an empty syllable"},
      {"长\tcháng\n", "w.tsv:1: word '长' is not two characters or more"},
      {"长冬\tcháng dōng\n", "w.tsv:1: '长冬': '冬' is not in hanzi.tsv"},
      {"长春\tcháng chūn\textra\n", "w.tsv:1: 3 field(s), expected 2"},
      {"# FORMAT: t\n", "w.tsv: no words"},
  };
  for (const auto& c : words) {
    EXPECT_NE(error_of([&] { WordReadings::parse(c.what, "w.tsv", &hanzi); }).find(c.expect), std::string::npos)
        << c.expect << " | got: " << error_of([&] { WordReadings::parse(c.what, "w.tsv", &hanzi); });
  }
  const std::vector<Case> names = {
      {"# FORMAT: t\n长\tcháng\tlong\n长\tzhǎng\tagain\n", "n.tsv:3: char '长' is listed twice"},
      {"长\tchang\tlong\n", "n.tsv:1: pinyin 'chang': 'chang' is not one syllable with a tone mark"},
      {"长\tcháng,cháng\tlong\n", "n.tsv:1: pinyin 'cháng,cháng' lists 'cháng' twice"},
      {"长春\tcháng\tlong\n", "n.tsv:1: char '长春' is not one character"},
      {"冬\tdōng\twinter\n", "n.tsv:1: '冬': '冬' is not in hanzi.tsv"},
      {"长\tcháng\n", "n.tsv:1: 2 field(s), expected 3"},
  };
  for (const auto& c : names) {
    EXPECT_NE(error_of([&] { NameReadings::parse(c.what, "n.tsv", &hanzi); }).find(c.expect), std::string::npos)
        << c.expect << " | got: " << error_of([&] { NameReadings::parse(c.what, "n.tsv", &hanzi); });
  }
  const std::vector<Case> fixes = {
      {"# FORMAT: t\n长\tzhǎng\tsame\n", "f.tsv:2: surname '长' already reads 'zhǎng' in the surname table"},
      {"春\tchūn\ta\n春\tchǔn\tb\n", "f.tsv:2: surname '春' is fixed twice (first at line 1)"},
      {"长春\tcháng\tx\n", "f.tsv:1: surname '长春' has 2 character(s) but 1 syllable(s)"},
      {"冬\tdōng\tx\n", "f.tsv:1: surname '冬': '冬' is not in hanzi.tsv"},
      {"长\tcháng\n", "f.tsv:1: 2 field(s), expected 3"},
  };
  for (const auto& c : fixes) {
    SurnameTable s = SurnameTable::parse("长\tzhǎng\n", "s.tsv");
    EXPECT_NE(error_of([&] { s.apply_fixes(c.what, "f.tsv", &hanzi); }).find(c.expect), std::string::npos)
        << c.expect << " | got: " << error_of([&] { s.apply_fixes(c.what, "f.tsv", &hanzi); });
  }
  // hanzi.tsv: one 平仄 per reading.
  EXPECT_NE(error_of([] {
              HanziTable::parse("# F\n长\tzhǎng,cháng\t1\t4\t仄\t1\t1\tx\n", "h.tsv");
            }).find("h.tsv:2: pingze '仄' has 1 verdict(s) but pinyin 'zhǎng,cháng' 2 reading(s)"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              HanziTable::parse("长\tzhǎng,cháng\t1\t4\t仄,上\t1\t1\tx\n", "h.tsv");
            }).find("h.tsv:1: pingze '仄,上' is not 平, 仄 or ? for each reading"),
            std::string::npos);
  // A fix replaces a reading and adds a surname; the table matches the added one.
  SurnameTable s = SurnameTable::parse("长\tzhǎng\n", "s.tsv");
  EXPECT_EQ(s.apply_fixes("长\tcháng\tx\n春\tchūn\ty\n", "f.tsv", &hanzi), 2u);
  EXPECT_EQ(*s.reading(U"长"), std::vector<std::string>{"cháng"});
  EXPECT_EQ(s.match(U"春长"), 1u);
}

TEST(Readings, MissingTableIsNamed) {
  test::TempDir dir;
  for (const char* f : {"hanzi.tsv", "surnames.tsv", "classics.tsv", "ill_omened.txt", "titles.tsv", "dated.tsv",
                        "young.tsv", "sex_markers.tsv", "sounds_like.tsv"})
    std::filesystem::copy_file(data_path(f), dir.file(f));
  EXPECT_NE(error_of([&] { NamingData::load(dir.file("")); }).find("word_readings.tsv: cannot open"),
            std::string::npos);
}

// ---- the bundled tables ------------------------------------------------------

TEST(ReadingsData, TablesHoldWhatTheirHeadersSay) {
  const NamingData& d = bundled();
  // Every syllable of a word is one of its character's readings (so it has a 平仄), never a neutral one
  // where the character has a toned reading of that syllable.
  std::size_t two_ways = 0;
  for (const auto& [w, readings] : d.word_readings.all()) {
    ASSERT_EQ(w.size(), 2u) << utf8::encode(w);
    two_ways += readings.size() > 1;
    bool polyphone = false;
    for (std::size_t i = 0; i < 2; ++i) {
      const HanziInfo& h = *d.hanzi.find(w[i]);
      polyphone = polyphone || h.readings.size() > 1;
      for (const auto& r : readings) {
        EXPECT_NE(std::find(h.readings.begin(), h.readings.end(), r[i]), h.readings.end())
            << utf8::encode(w) << " " << r[i];
      }
    }
    EXPECT_TRUE(polyphone) << utf8::encode(w) << ": no character of several readings";
  }
  EXPECT_GT(d.word_readings.size(), 10000u);
  EXPECT_GE(two_ways, 1u);  // 朝阳
  EXPECT_LT(std::filesystem::file_size(data_path("word_readings.tsv")), 2u << 20);
  // Every listed character has several readings; its name reading differs from the first or it has two.
  for (const auto& [c, e] : d.name_readings.all()) {
    const HanziInfo& h = *d.hanzi.find(c);
    EXPECT_GT(h.readings.size(), 1u) << utf8::encode(c);
    EXPECT_FALSE(e.reason.empty()) << utf8::encode(c);
  }
  for (const char32_t* c :
       {U"长", U"重", U"相", U"曾", U"省", U"行", U"朝", U"乐", U"卓", U"说", U"罗", U"和", U"华", U"薄"})
    EXPECT_NE(d.name_readings.find(c[0]), nullptr) << utf8::encode(c);
  const std::string text = test::read_file(data_path("word_readings.tsv"));
  for (const char* key : {"# SOURCE: pypinyin 0.55.0", "sha256 ", "# LICENSE: ", "see word_readings.LICENSE",
                          "# MADE: ", "# SCRIPT: ", "# FORMAT: "})
    EXPECT_NE(text.find(key), std::string::npos) << key;
  const std::string lic = test::read_file(data_path("word_readings.LICENSE"));
  for (const char* key : {"Copyright (c) 2016 mozillazg", "Permission is hereby granted", "phrase-pinyin-data"})
    EXPECT_NE(lic.find(key), std::string::npos) << key;
  for (const char* file : {"name_readings.tsv", "surname_fixes.tsv"}) {
    const std::string t = test::read_file(data_path(file));
    for (const char* key : {"# SOURCE: hand-written by the wuxia project", "# LICENSE: ", "# MADE: ", "# FORMAT: "})
      EXPECT_NE(t.find(key), std::string::npos) << file << ": " << key;
  }
}

// scripts/make_readings.py --check redoes word_readings.tsv and its notice from the pypinyin wheel byte for
// byte; a bad row of the character table it reads stops it with the file and line.
TEST(Readings, ScriptRedoesTheWordTableByteForByte) {
  const std::string wheel = pypinyin_wheel();
  if (!std::filesystem::exists(wheel))
    GTEST_SKIP() << "no pypinyin wheel at " << wheel
                 << " (pip download --no-deps pypinyin==0.55.0 -d /tmp/pypinyin, or set WUXIA_PYPINYIN_WHEEL)";
  if (test::run_command("command -v python3").code != 0) GTEST_SKIP() << "python3 not installed";
  const std::string script = std::string(WUXIA_TEST_DIR) + "/../scripts/make_readings.py";
  const auto r = test::run_command("python3 " + script + " --check --wheel " + wheel + " --out " + WUXIA_DATA_DIR);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("word_readings.tsv: same"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("word_readings.LICENSE: same"), std::string::npos) << r.out;
  test::TempDir dir;
  test::write_file(dir.file("hanzi.tsv"), "# FORMAT: t\n长\tzhǎng,cháng\t1\t4\t仄,平\t1\t1\tx\n春\tchūn\n");
  const auto bad = test::run_command("python3 " + script + " --wheel " + wheel + " --hanzi " + dir.file("hanzi.tsv") +
                                     " --out " + dir.file(""));
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.out.find("hanzi.tsv:3: "), std::string::npos) << bad.out;
  EXPECT_FALSE(std::filesystem::exists(dir.file("word_readings.tsv")));
}

// ---- the search reads as explain does ----------------------------------------

// A tiny model over a few characters, among them 长 (zhǎng 仄 first, cháng 平 in a name), 生 and 官 (长生
// cháng shēng, 长官 zhǎng guān, 生长 shēng zhǎng are words).
class ReadingsModel : public test::TinyNamingSuite<ReadingsModel> {
 public:
  static std::string names() {
    std::string names;
    const std::u32string chars = U"长生官春明美丽宜";
    for (char32_t s : std::u32string(U"李赵")) {
      for (char32_t a : chars) {
        for (char32_t b : chars) names += utf8::encode(std::u32string{s, a, b}) + "\n";
        names += utf8::encode(std::u32string{s, U'张', a}) + "\n";  // 张 in the vocabulary, as a surname asked for
      }
    }
    return names;
  }
  static constexpr uint64_t kSeed = 5;
  static constexpr int kSteps = 100;
};

// --tones ?平平: 长 is allowed (cháng 平 in a name), and no proposal reads otherwise than the tones ask,
// words included (长官 zhǎng guān and 生长 shēng zhǎng are 仄 at 长).
TEST_F(ReadingsModel, TonesFollowTheReadingExplainGives) {
  NameRequest q;
  q.surname = U"张";
  q.tones = U"?平平";
  q.n = 40;
  q.with = U'长';
  check_request(bundled(), q);  // 长 at either place: cháng is 平
  const auto names = propose_names(*model_, ck_->vocab(), KnownNames{&ck_->train_names, &ck_->val_names}, bundled(), q);
  ASSERT_FALSE(names.empty());
  bool chang = false;
  for (const auto& p : names) {
    const Explanation& e = p.explanation;
    EXPECT_EQ(e.pingze.substr(1), U"平平") << utf8::encode(e.name);
    EXPECT_NE(e.given, U"长官");
    EXPECT_NE(e.given, U"生长");
    chang = chang || e.given.find(U'长') != std::u32string::npos;
  }
  EXPECT_TRUE(chang);  // 张长X does not echo 张 either: 长 is cháng in a name
  q.tones = U"?仄平";
  q.with_pos = 1;
  EXPECT_NE(error_of([&] { check_request(bundled(), q); })
                .find("--with 长: is 平, but --tones wants 仄 at that place "
                      "(read cháng in a given name)"),
            std::string::npos);
}
