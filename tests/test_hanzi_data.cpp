// The naming data of issue 19: data/hanzi.tsv, surnames.tsv, classics.tsv, ill_omened.txt and the
// labelled lists for the lean to a sex, read as plain files (the format is the contract the loaders
// build on; data/README.md describes it), their notices, and scripts/make_hanzi.py redoing them.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.hpp"
#include "wuxia/data/utf8.hpp"

using namespace wuxia;

namespace {
std::string data_path(const std::string& file) { return std::string(WUXIA_DATA_DIR) + "/" + file; }
std::string scripts_dir() { return std::string(WUXIA_TEST_DIR) + "/../scripts"; }
bool have(const std::string& program) { return test::run_command("command -v " + program).code == 0; }

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == sep)
      out.emplace_back();
    else
      out.back() += c;
  }
  return out;
}

// A data file of the contract: '# ' header lines first, then TAB-separated records.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> line_of;  // the file line of each row, for messages
};

Table read_table(const std::string& file) {
  const std::string text = test::read_file(data_path(file));
  Table t;
  EXPECT_FALSE(text.empty()) << file;
  EXPECT_NE(text.substr(0, 3), "\xEF\xBB\xBF") << file << ": has a BOM";
  EXPECT_EQ(text.find('\r'), std::string::npos) << file << ": has CR";
  EXPECT_EQ(text.back(), '\n') << file << ": no final newline";
  utf8::decode_or_throw(text, file);
  std::vector<std::string> lines = split(text, '\n');
  lines.pop_back();  // after the final newline
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (l.rfind("# ", 0) == 0) {
      EXPECT_TRUE(t.rows.empty()) << file << ":" << i + 1 << ": a header line after the records";
      t.header.push_back(l.substr(2));
      continue;
    }
    t.rows.push_back(split(l, '\t'));
    t.line_of.push_back(i + 1);
  }
  return t;
}

std::u32string u32(const std::string& s) { return utf8::decode_or_throw(s, "test"); }

bool is_uint(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

std::map<std::string, std::vector<std::string>> by_first_column(const Table& t) {
  std::map<std::string, std::vector<std::string>> m;
  for (const auto& r : t.rows) m[r[0]] = r;
  return m;
}

// Every header names its source, license, how it was made, and its columns.
void expect_header(const Table& t, const std::string& file) {
  for (const std::string key : {"SOURCE: ", "LICENSE: ", "MADE: ", "FORMAT: "}) {
    bool found = false;
    for (const auto& h : t.header) found = found || h.rfind(key, 0) == 0;
    EXPECT_TRUE(found) << file << ": no '# " << key << "' line";
  }
}

const Table& hanzi() {
  static const Table t = read_table("hanzi.tsv");
  return t;
}
}  // namespace

TEST(HanziData, EveryRecordHasTheEightColumnsOfTheContract) {
  const Table& t = hanzi();
  expect_header(t, "hanzi.tsv");
  ASSERT_GT(t.rows.size(), 8105u);
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const auto& r = t.rows[i];
    const std::string at = "hanzi.tsv:" + std::to_string(t.line_of[i]);
    ASSERT_EQ(r.size(), 8u) << at;
    for (const auto& f : r) EXPECT_FALSE(f.empty()) << at << ": an empty field";
    EXPECT_EQ(u32(r[0]).size(), 1u) << at << ": char";
    if (r[1] != "-") {
      for (const auto& syl : split(r[1], ',')) EXPECT_FALSE(syl.empty()) << at << ": pinyin " << r[1];
    }
    EXPECT_TRUE(r[2] == "0" || r[2] == "1" || r[2] == "2" || r[2] == "3") << at << ": level " << r[2];
    EXPECT_TRUE(is_uint(r[3])) << at << ": strokes " << r[3];
    // One 平/仄/? per reading, in the readings' order.
    const auto verdicts = split(r[4], ',');
    EXPECT_EQ(verdicts.size(), r[1] == "-" ? 1u : split(r[1], ',').size()) << at << ": pingze " << r[4];
    for (const auto& p : verdicts) EXPECT_TRUE(p == "平" || p == "仄" || p == "?") << at << ": pingze " << r[4];
    EXPECT_TRUE(is_uint(r[5]) && is_uint(r[6])) << at << ": counts";
    EXPECT_EQ(r[7].find('\t'), std::string::npos) << at;
  }
}

TEST(HanziData, SortedByCodePointWithoutDuplicates) {
  char32_t last = 0;
  for (const auto& r : hanzi().rows) {
    const char32_t c = u32(r[0])[0];
    EXPECT_GT(c, last) << r[0] << " after U+" << std::hex << static_cast<unsigned>(last);
    last = c;
  }
}

TEST(HanziData, HoldsTheWholeGeneralStandardTableByLevel) {
  std::map<std::string, int> per_level;
  for (const auto& r : hanzi().rows) ++per_level[r[2]];
  EXPECT_EQ(per_level["1"], 3500);
  EXPECT_EQ(per_level["2"], 3000);
  EXPECT_EQ(per_level["3"], 1605);
  const auto m = by_first_column(hanzi());
  EXPECT_EQ(m.at("矗")[2], "1");  // looks rare, is level 1
  EXPECT_EQ(m.at("乂")[2], "2");
  EXPECT_EQ(m.at("中")[3], "4");
}

TEST(HanziData, HoldsEveryCharacterOfTheNameListsAndSurnames) {
  std::set<std::string> chars;
  for (const auto& r : hanzi().rows) chars.insert(r[0]);
  for (const char* file : {"jinyong.txt", "gulong.txt", "ancient.txt", "poets.txt"}) {
    std::istringstream in(test::read_file(data_path(file)));
    std::string line;
    std::size_t missing = 0;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      for (char32_t c : u32(line))
        if (!chars.count(utf8::encode(c)) && ++missing <= 5) ADD_FAILURE() << file << ": " << utf8::encode(c);
    }
    EXPECT_EQ(missing, 0u) << file;
  }
  for (const auto& r : read_table("surnames.tsv").rows)
    for (char32_t c : u32(r[0])) EXPECT_TRUE(chars.count(utf8::encode(c))) << r[0];
}

// 入声 characters read today in tone 1 or 2 are 仄, which a rule from the Mandarin tone alone gets wrong.
TEST(HanziData, EnteringToneCharactersInToneOneOrTwoAreZe) {
  const auto m = by_first_column(hanzi());
  const auto first = [&](const char* c) { return split(m.at(c)[4], ',')[0]; };  // the first reading's
  for (const char* c : {"一", "十", "七", "八", "白", "竹", "国", "杰", "叔", "卓", "发", "识"})
    EXPECT_EQ(first(c), "仄") << c << " " << m.at(c)[1];
  for (const char* c : {"明", "华", "中", "峰", "天", "文"}) EXPECT_EQ(first(c), "平") << c << " " << m.at(c)[1];
  for (const char* c : {"永", "丽", "伟", "静"}) EXPECT_EQ(first(c), "仄") << c;  // tones 3 and 4
}

// Each reading has its own 平仄: a name read otherwise than by the first reading (长 cháng in 林长卿) is not
// given the first reading's (zhǎng 仄); 卓 zhuó is 入 like zhuō.
TEST(HanziData, EachReadingHasItsOwnPingze) {
  const auto m = by_first_column(hanzi());
  const std::map<std::string, std::pair<std::string, std::string>> facts = {
      {"长", {"zhǎng,cháng", "仄,平"}},      {"重", {"zhòng,chóng", "仄,平"}}, {"相", {"xiāng,xiàng", "平,仄"}},
      {"单", {"dān,chán,shàn", "平,平,仄"}}, {"卓", {"zhuō,zhuó", "仄,仄"}},   {"子", {"zǐ,zi", "仄,?"}}};
  for (const auto& [c, f] : facts) {
    EXPECT_EQ(m.at(c)[1], f.first) << c;
    EXPECT_EQ(m.at(c)[4], f.second) << c;
  }
}

TEST(HanziData, ReadingsWithToneMarksMostCommonFirst) {
  const auto m = by_first_column(hanzi());
  EXPECT_EQ(m.at("中")[1], "zhōng,zhòng");
  EXPECT_EQ(split(m.at("单")[1], ',')[0], "dān");
  EXPECT_NE(m.at("单")[1].find("shàn"), std::string::npos);  // its surname reading is listed too
  EXPECT_EQ(split(m.at("子")[1], ',')[0], "zǐ");             // never a neutral tone first: names have none
}

TEST(HanziData, GenderCountsAndGlossComeFromTheirSources) {
  const auto m = by_first_column(hanzi());
  EXPECT_EQ(m.at("明")[5], "378860");  // charfreq.csv: 明,378860,63221
  EXPECT_EQ(m.at("明")[6], "63221");
  EXPECT_EQ(m.at("一")[7], "one; a, an; alone");
  // The MADE line's totals are the columns' sums.
  long long male = 0, female = 0;
  for (const auto& r : hanzi().rows) {
    male += std::stoll(r[5]);
    female += std::stoll(r[6]);
  }
  bool found = false;
  for (const auto& h : hanzi().header)
    found = found ||
            h.find("totals male " + std::to_string(male) + ", female " + std::to_string(female)) != std::string::npos;
  EXPECT_TRUE(found) << "totals male " << male << ", female " << female;
}

TEST(SurnameData, ReadingsAsSurnames) {
  const Table t = read_table("surnames.tsv");
  expect_header(t, "surnames.tsv");
  std::set<std::string> seen;
  for (const auto& r : t.rows) {
    ASSERT_EQ(r.size(), 2u) << r[0];
    const std::size_t n = u32(r[0]).size();
    EXPECT_TRUE(n == 1 || n == 2) << r[0];
    EXPECT_EQ(split(r[1], ' ').size(), n) << r[0] << ": one syllable per character";
    EXPECT_TRUE(seen.insert(r[0]).second) << r[0] << " twice";
  }
  EXPECT_GE(t.rows.size(), 400u);
  const auto m = by_first_column(t);
  const std::map<std::string, std::string> facts = {{"单", "shàn"},    {"曾", "zēng"},    {"解", "xiè"},
                                                    {"仇", "qiú"},     {"朴", "piáo"},    {"查", "zhā"},
                                                    {"万俟", "mò qí"}, {"尉迟", "yù chí"}};
  for (const auto& [surname, reading] : facts) {
    ASSERT_TRUE(m.count(surname)) << surname;
    EXPECT_EQ(m.at(surname)[1], reading) << surname;
  }
}

TEST(ClassicsData, OneLineAPieceOfTheFiveClassicsSimplified) {
  const Table t = read_table("classics.tsv");
  expect_header(t, "classics.tsv");
  std::map<std::string, int> per_classic;
  std::set<std::string> lines;
  for (const auto& r : t.rows) {
    ASSERT_EQ(r.size(), 4u);
    for (const auto& f : r) EXPECT_FALSE(f.empty());
    ++per_classic[r[0]];
    if (r[0] == "诗经" || r[0] == "论语") EXPECT_EQ(r[2], "-") << r[3];
    EXPECT_EQ(r[3].find_first_of("()"), std::string::npos) << r[3] << ": an editorial note left";
    for (const char* trad : {"後", "穀", "旂", "蘋", "國", "說"})  // all five converted, not only 唐诗三百首
      EXPECT_EQ(r[3].find(trad), std::string::npos) << r[0] << " " << r[1] << ": " << r[3];
    lines.insert(r[0] + "|" + r[1] + "|" + r[2] + "|" + r[3]);
  }
  EXPECT_EQ(per_classic.size(), 5u);
  for (const char* c : {"诗经", "楚辞", "论语", "唐诗三百首", "宋词三百首"}) EXPECT_GT(per_classic[c], 1000) << c;
  EXPECT_TRUE(lines.count("诗经|关雎|-|窈窕淑女，君子好逑。"));
  EXPECT_TRUE(lines.count("楚辞|离骚|屈原|名余曰正则兮，字余曰灵均。"));
  // 唐诗三百首 is traditional in the source: converted, title and author too.
  EXPECT_TRUE(lines.count("唐诗三百首|登鹳雀楼|王之涣|白日依山尽，黄河入海流。"));
}

TEST(IllOmened, EveryCharacterHasAReasonAndIsInHanzi) {
  const Table t = read_table("ill_omened.txt");
  expect_header(t, "ill_omened.txt");
  std::set<std::string> known;
  for (const auto& r : hanzi().rows) known.insert(r[0]);
  std::set<std::string> seen;
  for (const auto& r : t.rows) {
    ASSERT_EQ(r.size(), 2u) << r[0];
    EXPECT_EQ(u32(r[0]).size(), 1u) << r[0];
    EXPECT_FALSE(r[1].empty()) << r[0] << ": no reason";
    EXPECT_TRUE(known.count(r[0])) << r[0] << " is not in hanzi.tsv";
    EXPECT_TRUE(seen.insert(r[0]).second) << r[0] << " twice";
  }
  EXPECT_GE(seen.size(), 100u);
  EXPECT_LE(seen.size(), 400u);  // a few hundred at most: only what is ill-omened in any name
  for (const char* c : {"妖", "死", "病", "尸", "屎", "鬼"}) EXPECT_TRUE(seen.count(c)) << c;  // fate #78: 张妖死
  for (const char* c : {"安", "美", "明", "华", "英"}) EXPECT_FALSE(seen.count(c)) << c;
}

TEST(SexLabels, ListsAreGivenNamesLabelledMaleOrFemale) {
  for (const char* file : {"sexlabels_faker.tsv", "sexlabels_casts.tsv"}) {
    const Table t = read_table(file);
    expect_header(t, file);
    std::map<std::string, int> per_sex;
    for (const auto& r : t.rows) {
      ASSERT_EQ(r.size(), 4u) << file;
      EXPECT_FALSE(r[0].empty()) << file;
      EXPECT_TRUE(r[1] == "male" || r[1] == "female") << file << ": " << r[1];
      ++per_sex[r[1]];
      // A cast name is its surname and the given name.
      if (r[2] != "-")
        EXPECT_TRUE(r[2].size() > r[0].size() && r[2].compare(r[2].size() - r[0].size(), r[0].size(), r[0]) == 0)
            << file << ": " << r[2] << " / " << r[0];
    }
    EXPECT_GE(per_sex["male"], 50) << file;
    EXPECT_GE(per_sex["female"], 50) << file;
  }
}

TEST(NamingDataLicenses, NoticesBesideTheFiles) {
  const std::map<std::string, std::vector<std::string>> notices = {
      {"hanzi.LICENSE", {"UNICODE, INC. LICENSE AGREEMENT", "Permission is hereby granted"}},
      {"guangyun.LICENSE", {"CC0 1.0 Universal"}},
      {"gender.LICENSE", {"Copyright (c) 2015 Jingchao Hu", "The above copyright notice"}},
      {"surnames.LICENSE", {"Copyright (c) 2026 闲耘", "The above copyright notice"}},
      {"classics.LICENSE", {"Copyright (c) 2016 JackeyGao", "The above copyright notice"}},
      {"sexlabels_faker.LICENSE", {"Copyright (c) 2012 Daniele Faraglia", "The above copyright notice"}},
  };
  for (const auto& [file, phrases] : notices) {
    const std::string text = test::read_file(data_path(file));
    for (const auto& p : phrases) EXPECT_NE(text.find(p), std::string::npos) << file << ": " << p;
  }
  for (const char* file : {"hanzi.tsv", "surnames.tsv", "classics.tsv", "sexlabels_faker.tsv"}) {
    const std::string stem = std::filesystem::path(file).stem().string();
    EXPECT_NE(test::read_file(data_path(file)).find("see " + stem + ".LICENSE"), std::string::npos) << file;
  }
}

// scripts/make_hanzi.py --check redoes hanzi.tsv, surnames.tsv, classics.tsv and their notices from
// ../shared/data and Debian's unicode-data, and compares them byte for byte.
TEST(NamingData, ScriptRedoesTheFilesByteForByte) {
  const std::string shared = WUXIA_SHARED_DATA_DIR;
  for (const char* sub :
       {"/guangyun/zitou.csv", "/gender/charfreq.csv", "/surnames/surnames.tsv", "/poetry/tangshisanbaishou.json"})
    if (!std::filesystem::exists(shared + sub)) GTEST_SKIP() << "no " << shared << sub;
  if (!std::filesystem::exists("/usr/share/unicode/Unihan_Readings.txt.bz2")) GTEST_SKIP() << "no unicode-data";
  if (!have("opencc") || !have("python3")) GTEST_SKIP() << "opencc or python3 not installed";
  const auto r = test::run_command("python3 " + scripts_dir() + "/make_hanzi.py --check --shared " + shared +
                                   " --out " + std::string(WUXIA_DATA_DIR));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out.find("DIFFERS"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("hanzi.tsv: same"), std::string::npos) << r.out;
}

// Regulated verse (律诗, 绝句 of 唐诗三百首) ends the first line of every couplet but the first on a 仄
// character: the pingze column must say so nearly everywhere (the exceptions are characters whose verse
// reading is not the first: 骑 jì, 听 tìng), and far more often than the Mandarin tone alone (入声).
TEST(NamingData, PingzeFitsTheMeterOfRegulatedVerse) {
  const std::string shared = WUXIA_SHARED_DATA_DIR;
  for (const char* sub : {"/guangyun/zitou.csv", "/gender/charfreq.csv", "/poetry/tangshisanbaishou.json"})
    if (!std::filesystem::exists(shared + sub)) GTEST_SKIP() << "no " << shared << sub;
  if (!std::filesystem::exists("/usr/share/unicode/Unihan_Readings.txt.bz2")) GTEST_SKIP() << "no unicode-data";
  if (!have("opencc") || !have("python3")) GTEST_SKIP() << "opencc or python3 not installed";
  const auto r = test::run_command("python3 " + scripts_dir() + "/make_hanzi.py --check --meter --shared " + shared +
                                   " --out " + std::string(WUXIA_DATA_DIR));
  ASSERT_EQ(r.code, 0) << r.out;
  int places = 0, ze = 0, tone_ze = 0;
  const std::size_t at = r.out.find("meter: ");
  ASSERT_NE(at, std::string::npos) << r.out;
  ASSERT_EQ(std::sscanf(r.out.c_str() + at,
                        "meter: where regulated verse demands 仄 (%d places), pingze is 仄 %d (%*f%%), 平 %*d, ? %*d; "
                        "the Mandarin tone alone gives 仄 %d",
                        &places, &ze, &tone_ze),
            3)
      << r.out.substr(at, 300);
  EXPECT_GE(places, 400);
  EXPECT_GE(ze, places * 95 / 100) << r.out.substr(at, 400);
  EXPECT_GT(ze - tone_ze, places / 20) << r.out.substr(at, 400);
}

// A malformed source row stops the script with the file and line, and nothing is written.
TEST(NamingData, ScriptNamesTheBadLineOfASource) {
  const std::string shared = WUXIA_SHARED_DATA_DIR;
  for (const char* sub : {"/guangyun/zitou.csv", "/surnames/surnames.tsv", "/poetry/tangshisanbaishou.json"})
    if (!std::filesystem::exists(shared + sub)) GTEST_SKIP() << "no " << shared << sub;
  if (!std::filesystem::exists("/usr/share/unicode/Unihan_Readings.txt.bz2")) GTEST_SKIP() << "no unicode-data";
  if (!have("python3")) GTEST_SKIP() << "python3 not installed";
  test::TempDir dir;
  for (const char* sub : {"guangyun", "surnames", "poetry"})
    std::filesystem::create_directory_symlink(shared + "/" + sub, dir.path() / sub);
  std::filesystem::create_directory(dir.path() / "gender");
  test::write_file(dir.file("gender/charfreq.csv"), "char,male,female\n明,378860,63221\n伟,many,51232\n");
  const std::string out = dir.file("out");
  std::filesystem::create_directory(out);
  for (const char* f : {"jinyong.txt", "gulong.txt", "ancient.txt", "poets.txt"})
    std::filesystem::copy_file(data_path(f), out + "/" + f);
  const auto r = test::run_command("python3 " + scripts_dir() + "/make_hanzi.py --shared " + dir.path().string() +
                                   " --out " + out);
  EXPECT_NE(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("charfreq.csv:3: "), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(out + "/hanzi.tsv"));
}

// scripts/lean_accuracy.py on a table of three characters, where the figures can be worked by hand:
// M = 10 + 1 = 11, F = 2 + 9 = 11, K = 2 (丙 has no counts). For 甲 the log-odds are
// log(3/13) - log(11/13) < 0 (male), for 乙 log(10/13) - log(2/13) > 0 (female); 丙 is not judged.
TEST(LeanAccuracy, ScoresTheEqualPriorLeanAndNgendersGuess) {
  if (!have("python3")) GTEST_SKIP() << "python3 not installed";
  test::TempDir dir;
  test::write_file(dir.file("hanzi.tsv"),
                   "# FORMAT: test\n"
                   "乙\t-\t0\t1\t?\t1\t9\t-\n"
                   "丙\t-\t0\t1\t?\t0\t0\t-\n"
                   "甲\t-\t0\t1\t?\t10\t2\t-\n");
  // 甲 male: right; 乙 labelled male: wrong; 丙: not judged; 甲乙 (log-odds log(30/22) > 0): female, right.
  test::write_file(dir.file("labels.tsv"),
                   "# FORMAT: test\n甲\tmale\t-\tt\n乙\tmale\t-\tt\n丙\tfemale\t-\tt\n甲乙\tfemale\t-\tt\n");
  const auto r = test::run_command("python3 " + scripts_dir() + "/lean_accuracy.py --hanzi " + dir.file("hanzi.tsv") +
                                   " --labels " + dir.file("labels.tsv"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("M 11, F 11, K 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("not judged (no character with counts) 1 = 25.0%"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("lean, equal priors (P(female) > 0.5): accuracy 66.7% of 3 judged"), std::string::npos) << r.out;
  // A bad label names the file and line.
  test::write_file(dir.file("bad.tsv"), "# FORMAT: test\n甲\tboy\t-\tt\n");
  const auto bad = test::run_command("python3 " + scripts_dir() + "/lean_accuracy.py --hanzi " + dir.file("hanzi.tsv") +
                                     " --labels " + dir.file("bad.tsv"));
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.out.find("bad.tsv:2"), std::string::npos) << bad.out;
}

// --wuxia BINARY compares `BINARY explain --given --json --file` with the script's own P(female): a stand-in
// binary that prints the hand-worked values (甲 3/14, 乙 10/12, 甲乙 30/52, 丙 not judged) passes; one that is
// off for 乙 fails and says by how much.
TEST(LeanAccuracy, ChecksWuxiaExplainAgainstTheFormula) {
  if (!have("python3")) GTEST_SKIP() << "python3 not installed";
  test::TempDir dir;
  test::write_file(dir.file("hanzi.tsv"),
                   "乙\t-\t0\t1\t?\t1\t9\t-\n丙\t-\t0\t1\t?\t0\t0\t-\n甲\t-\t0\t1\t?\t10\t2\t-\n");
  test::write_file(dir.file("labels.tsv"),
                   "甲\tmale\t-\tt\n乙\tmale\t-\tt\n丙\tfemale\t-\tt\n甲乙\tfemale\t-\tt\n甲\tmale\t-\tt\n");
  const auto fake = [&](const std::string& name, const std::string& p_yi) {
    test::write_file(dir.file(name),
                     "#!/bin/sh\n"
                     "echo '{\"given\":\"甲\",\"gender\":{\"female\":0.21428571428571427}}'\n"
                     "echo '{\"given\":\"乙\",\"gender\":{\"female\":" +
                         p_yi +
                         "}}'\n"
                         "echo '{\"given\":\"丙\",\"gender\":{\"female\":null}}'\n"
                         "echo '{\"given\":\"甲乙\",\"gender\":{\"female\":0.5769230769230769}}'\n");
    std::filesystem::permissions(dir.file(name), std::filesystem::perms::owner_all);
    return test::run_command("python3 " + scripts_dir() + "/lean_accuracy.py --hanzi " + dir.file("hanzi.tsv") +
                             " --labels " + dir.file("labels.tsv") + " --wuxia " + dir.file(name));
  };
  const auto good = fake("good.sh", "0.8333333333333334");
  EXPECT_EQ(good.code, 0) << good.out;
  EXPECT_NE(good.out.find("judged by one only 0"), std::string::npos) << good.out;
  const auto off = fake("off.sh", "0.7");
  EXPECT_EQ(off.code, 1) << off.out;
  EXPECT_NE(off.out.find("largest |P - script's P| 0.133"), std::string::npos) << off.out;
}
