// Lints the bundled name lists (issue: bundled data).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "test_util.hpp"
#include "wuxia/names.hpp"
#include "wuxia/utf8.hpp"

using namespace wuxia;

namespace {
bool is_cjk(char32_t c) { return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || c == 0xB7; }
}  // namespace

TEST(BundledData, EveryFileIsCleanUtf8WithValidNames) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(WUXIA_DATA_DIR)) {
    if (entry.path().extension() != ".txt") continue;
    ++files;
    const std::string path = entry.path().string();
    const std::string text = test::read_file(path);
    EXPECT_NE(text.substr(0, 3), "\xEF\xBB\xBF") << path << ": has a BOM";
    EXPECT_EQ(text.find('\r'), std::string::npos) << path << ": has CR line endings";
    const NameFile f = load_name_file(path, entry.path().stem().string());  // throws on bad UTF-8
    EXPECT_EQ(f.blank_lines, 0u) << path;
    EXPECT_EQ(f.duplicates, 0u) << path;
    for (const auto& n : f.names) {
      EXPECT_TRUE(n.size() >= 1 && n.size() <= 8) << path << ": " << utf8::encode(n);
      for (char32_t c : n) EXPECT_TRUE(is_cjk(c)) << path << ": " << utf8::encode(n);
    }
  }
  EXPECT_GE(files, 2);
}

TEST(BundledData, CastsMeetTheCoverageMinimums) {
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
