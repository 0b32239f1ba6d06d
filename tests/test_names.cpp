#include <gtest/gtest.h>

#include "test_util.hpp"
#include "wuxia/error.hpp"
#include "wuxia/names.hpp"
#include "wuxia/utf8.hpp"

using namespace wuxia;

namespace {
std::vector<std::string> as_utf8(const NameFile& f) {
  std::vector<std::string> out;
  for (const auto& n : f.names) out.push_back(utf8::encode(n));
  return out;
}
std::string error_of(const std::string& text) {
  try {
    parse_names(text, "f.txt", "s");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Names, StripsBomCrAndSurroundingWhitespace) {
  const auto f = parse_names("\xEF\xBB\xBF令狐冲\r\n  任我行 \t\r\n\xE3\x80\x80东方不败\xE3\x80\x80\n", "f", "s");
  EXPECT_EQ(as_utf8(f), (std::vector<std::string>{"令狐冲", "任我行", "东方不败"}));
}

TEST(Names, SkipsAndCountsBlankAndCommentLines) {
  const auto f = parse_names("# 笑傲江湖\n令狐冲\n\n   \n# 天龙八部\n萧峰\n", "f", "s");
  EXPECT_EQ(as_utf8(f), (std::vector<std::string>{"令狐冲", "萧峰"}));
  EXPECT_EQ(f.comment_lines, 2u);
  EXPECT_EQ(f.blank_lines, 2u);
}

TEST(Names, DropsAndCountsDuplicatesKeepingTheFirst) {
  const auto f = parse_names("段誉\n虚竹\n段誉\n段誉\n", "f", "s");
  EXPECT_EQ(as_utf8(f), (std::vector<std::string>{"段誉", "虚竹"}));
  EXPECT_EQ(f.duplicates, 2u);
  EXPECT_NE(describe(f).find("2 duplicates dropped"), std::string::npos);
}

TEST(Names, InvalidUtf8NamesFileLineAndByte) {
  EXPECT_EQ(error_of("令狐冲\nab\xFF\n"), "f.txt:2: invalid UTF-8 at byte 2: invalid lead byte");
}

TEST(Names, EmptyOrCommentOnlyFileIsAnError) {
  EXPECT_NE(error_of("").find("f.txt: no names"), std::string::npos);
  EXPECT_NE(error_of("# only a comment\n\n").find("f.txt: no names"), std::string::npos);
}

TEST(Names, NulAndControlCharactersAreRejectedWithTheLine) {
  EXPECT_NE(error_of(std::string("ok\nb\0d\n", 7)).find("f.txt:2: control character"), std::string::npos);
}

TEST(Names, OverlongLineIsRejected) {
  std::string line(kMaxNameLength + 1, 'a');
  EXPECT_NE(error_of("x\n" + line + "\n").find("f.txt:2: line is 65 characters long"), std::string::npos);
}

TEST(Names, NoTrailingNewlineKeepsTheLastName) {
  EXPECT_EQ(as_utf8(parse_names("甲\n乙", "f", "s")), (std::vector<std::string>{"甲", "乙"}));
}

TEST(Names, MissingFileAndDirectoryAreClearErrors) {
  test::TempDir dir;
  try {
    load_name_file(dir.file("nope.txt"), "s");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nope.txt: cannot open"), std::string::npos);
  }
  try {
    load_name_file(dir.path().string(), "s");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos);
  }
}

TEST(Names, DataSpecTakesStemOrExplicitStyle) {
  EXPECT_EQ(parse_data_spec("data/jinyong.txt").style, "jinyong");
  const auto s = parse_data_spec("gl=data/gulong.txt");
  EXPECT_EQ(s.style, "gl");
  EXPECT_EQ(s.path, "data/gulong.txt");
}
