// Lints the bundled name lists (issue: bundled data) and checks the bundled
// corpora data/ancient.txt and data/poets.txt (issue 14) against what
// data/README.md documents and scripts/make_corpora.py makes.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "test_util.hpp"
#include "wuxia/data/names.hpp"
#include "wuxia/data/utf8.hpp"

using namespace wuxia;

namespace {
bool is_cjk(char32_t c) { return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || c == 0xB7; }

std::string data_path(const std::string& file) { return std::string(WUXIA_DATA_DIR) + "/" + file; }
std::string scripts_dir() { return std::string(WUXIA_TEST_DIR) + "/../scripts"; }
bool have(const std::string& program) { return test::run_command("command -v " + program).code == 0; }

std::set<char32_t> chars_of(const NameFile& f) {
  std::set<char32_t> s;
  for (const auto& n : f.names) s.insert(n.begin(), n.end());
  return s;
}

std::size_t longest(const NameFile& f) {
  std::size_t m = 0;
  for (const auto& n : f.names) m = std::max(m, n.size());
  return m;
}
}  // namespace

TEST(DataBundled, EveryFileIsCleanUtf8WithValidNames) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(WUXIA_DATA_DIR)) {
    // data/ill_omened.txt is a character list (char<TAB>reason), not names: tests/test_hanzi_data.cpp checks it.
    if (entry.path().extension() != ".txt" || entry.path().filename() == "ill_omened.txt") continue;
    ++files;
    const std::string path = entry.path().string();
    const std::string text = test::read_file(path);
    EXPECT_NE(text.substr(0, 3), "\xEF\xBB\xBF") << path << ": has a BOM";
    EXPECT_EQ(text.find('\r'), std::string::npos) << path << ": has CR line endings";
    const NameFile f = load_name_file(path, entry.path().stem().string());  // throws on bad UTF-8
    EXPECT_EQ(f.blank_lines, 0u) << path;
    EXPECT_EQ(f.duplicates, 0u) << path;
    for (const auto& n : f.names) {
      // 1-9 characters (scripts/lint_names.py): 9 for the longest historical names of ancient.txt.
      if (n.empty() || n.size() > 9) ADD_FAILURE() << path << ": " << utf8::encode(n);
      for (char32_t c : n)
        if (!is_cjk(c)) ADD_FAILURE() << path << ": " << utf8::encode(n);
    }
  }
  EXPECT_GE(files, 4);  // jinyong, gulong, ancient, poets
}

TEST(DataBundled, CastsMeetTheCoverageMinimums) {
  const NameFile jy = load_name_file(std::string(WUXIA_DATA_DIR) + "/jinyong.txt", "jinyong");
  const NameFile gl = load_name_file(std::string(WUXIA_DATA_DIR) + "/gulong.txt", "gulong");
  EXPECT_GE(jy.names.size(), 800u);
  EXPECT_GE(gl.names.size(), 300u);
  // All fifteen Jin Yong novels have a heading.
  const std::string text = test::read_file(std::string(WUXIA_DATA_DIR) + "/jinyong.txt");
  for (const char* novel : {"书剑恩仇录", "碧血剑", "射雕英雄传", "雪山飞狐", "神雕侠侣", "飞狐外传", "倚天屠龙记",
                            "白马啸西风", "鸳鸯刀", "连城诀", "天龙八部", "侠客行", "笑傲江湖", "鹿鼎记", "越女剑"}) {
    EXPECT_NE(text.find(std::string("# ") + novel + "\n"), std::string::npos) << novel;
  }
}

// The counts data/README.md gives for the corpora (scripts/make_corpora.py prints them).
TEST(DataCorpora, CountsAreAsDocumented) {
  const NameFile anc = load_name_file(data_path("ancient.txt"), "ancient");
  EXPECT_EQ(anc.names.size(), 253619u);
  EXPECT_EQ(anc.comment_lines, 5u);  // the header; no groups
  EXPECT_EQ(anc.duplicates, 0u);
  EXPECT_EQ(chars_of(anc).size(), 5263u);
  EXPECT_EQ(longest(anc), 9u);
  const NameFile poets = load_name_file(data_path("poets.txt"), "poets");
  EXPECT_EQ(poets.names.size(), 12733u);
  EXPECT_EQ(poets.comment_lines, 5u + 9u);  // the header and nine collections
  EXPECT_EQ(poets.duplicates, 0u);
  EXPECT_EQ(chars_of(poets).size(), 2575u);
  EXPECT_EQ(longest(poets), 5u);
}

TEST(DataCorpora, HeadersNameSourceLicenseAndScript) {
  for (const char* file : {"ancient.txt", "poets.txt"}) {
    const std::string text = test::read_file(data_path(file));
    const std::string stem = std::filesystem::path(file).stem().string();
    EXPECT_EQ(text.rfind("# SOURCE: ", 0), 0u) << file;
    for (const std::string key : {"\n# LICENSE: ", "\n# MADE: ", "\n# FORMAT: "})
      EXPECT_NE(text.find(key), std::string::npos) << file << key;
    EXPECT_NE(text.find("\n# SCRIPT: python3 scripts/make_corpora.py"), std::string::npos) << file;
    EXPECT_NE(text.find("see " + stem + ".LICENSE"), std::string::npos) << file;
  }
  EXPECT_NE(test::read_file(data_path("poets.txt")).find("Copyright (c) 2016 JackeyGao"), std::string::npos);
}

TEST(DataCorpora, LicenseFilesArePresent) {
  const std::string apache = test::read_file(data_path("ancient.LICENSE"));
  EXPECT_NE(apache.find("Apache License"), std::string::npos);
  EXPECT_NE(apache.find("Version 2.0, January 2004"), std::string::npos);
  const std::string shared = std::string(WUXIA_SHARED_DATA_DIR) + "/ancient_names.LICENSE";
  if (std::filesystem::exists(shared)) EXPECT_EQ(apache, test::read_file(shared)) << "a byte copy of " << shared;
  const std::string mit = test::read_file(data_path("poets.LICENSE"));
  EXPECT_NE(mit.find("The MIT License (MIT)"), std::string::npos);
  EXPECT_NE(mit.find("Copyright (c) 2016 JackeyGao"), std::string::npos);
  EXPECT_NE(mit.find("The above copyright notice and this permission notice shall be included"), std::string::npos);
}

// Every distinct character of every bundled list, through OpenCC t2s alone:
// each maps to itself, or is one of the characters the rule keeps (乾 於 甯),
// or its simplified form lies outside the BMP (kept as it was).
TEST(DataCorpora, NoCharacterLeftThatT2sWouldChange) {
  if (!have("opencc")) GTEST_SKIP() << "opencc not installed";
  std::set<char32_t> all;
  for (const char* file : {"ancient.txt", "poets.txt", "jinyong.txt", "gulong.txt"}) {
    const auto s = chars_of(load_name_file(data_path(file), "x"));
    all.insert(s.begin(), s.end());
  }
  std::string in;
  for (char32_t c : all) in += utf8::encode(c) + "\n";
  test::TempDir dir;
  test::write_file(dir.file("in.txt"), in);
  const auto r = test::run_command("opencc -c t2s.json -i " + dir.file("in.txt") + " -o " + dir.file("out.txt"));
  ASSERT_EQ(r.code, 0) << r.out;
  const std::u32string out = utf8::decode_or_throw(test::read_file(dir.file("out.txt")), "opencc output");
  std::vector<std::u32string> lines(1);
  for (char32_t c : out) {
    if (c == U'\n')
      lines.emplace_back();
    else
      lines.back() += c;
  }
  ASSERT_EQ(lines.back(), U"");
  lines.pop_back();
  ASSERT_EQ(lines.size(), all.size());
  std::size_t i = 0, outside_bmp = 0;
  for (char32_t c : all) {
    const std::u32string& s = lines[i++];
    if (s == std::u32string(1, c) || c == U'乾' || c == U'於' || c == U'甯') continue;
    if (s.size() == 1 && s[0] > 0xFFFF) {
      ++outside_bmp;
      continue;
    }
    ADD_FAILURE() << utf8::encode(c) << " -> " << utf8::encode(s);
  }
  EXPECT_GT(outside_bmp, 0u);  // the rule is used (頔, 勣, ...), so this test sees it
}

// scripts/make_corpora.py --check redoes all four files from ../shared/data
// and compares them byte for byte (skipped where the shared data is absent).
TEST(DataCorpora, ScriptRedoesTheFilesByteForByte) {
  const std::string shared = WUXIA_SHARED_DATA_DIR;
  if (!std::filesystem::exists(shared + "/ancient_names.txt") || !std::filesystem::exists(shared + "/poets.txt"))
    GTEST_SKIP() << "no " << shared;
  if (!have("opencc") || !have("python3")) GTEST_SKIP() << "opencc or python3 not installed";
  const auto r = test::run_command("python3 " + scripts_dir() + "/make_corpora.py --check --shared " + shared +
                                   " --out " + std::string(WUXIA_DATA_DIR));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("output names 253619, distinct characters 5263"), std::string::npos) << r.out;
}

TEST(DataCorpora, EveryListPassesTheLinter) {
  if (!have("python3")) GTEST_SKIP() << "python3 not installed";
  const std::string d = WUXIA_DATA_DIR;
  const auto r = test::run_command("python3 " + scripts_dir() + "/lint_names.py " + d + "/jinyong.txt " + d +
                                   "/gulong.txt " + d + "/ancient.txt " + d + "/poets.txt");
  EXPECT_EQ(r.code, 0) << r.out;
}
