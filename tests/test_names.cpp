#include <gtest/gtest.h>

#include "test_util.hpp"
#include "wuxia/data/names.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/platform/format.hpp"

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

TEST(Names, LoneCrEndsALineAsLfAndCrlfDo) {
  EXPECT_EQ(as_utf8(parse_names("甲\r乙\r\n丙\n丁\r", "f", "s")), (std::vector<std::string>{"甲", "乙", "丙", "丁"}));
  const auto f = parse_names("甲\r\r乙\r\n\r\n", "f", "s");
  EXPECT_EQ(f.names.size(), 2u);
  EXPECT_EQ(f.blank_lines, 2u);  // "\r\r" is two line ends, "\r\n" one
}

TEST(Names, ControlCharactersAreNamedInHex) {
  EXPECT_NE(error_of("ok\na\x1b[31mb\n").find("f.txt:2: control character U+001B"), std::string::npos);
  EXPECT_NE(error_of(std::string("b\0d\n", 4)).find("U+0000"), std::string::npos);
}

TEST(Names, ALineLongerThanTheByteLimitIsRefusedWithItsNumber) {
  const std::string err = error_of("甲\n" + std::string(kMaxLineBytes + 1, ' ') + "乙\n");
  EXPECT_NE(err.find("f.txt:2: line is longer than 4096 bytes"), std::string::npos) << err;
  // White space up to the limit is still only white space around a name.
  EXPECT_EQ(as_utf8(parse_names(std::string(kMaxLineBytes - 3, ' ') + "甲\n", "f", "s")),
            (std::vector<std::string>{"甲"}));
}

// The file is read in pieces; a line (or a CRLF) cut between two reads is one line.
TEST(Names, AFileReadInPiecesGivesTheNamesOfTheWholeText) {
  test::TempDir dir;
  std::string text = "\xEF\xBB\xBF";
  std::vector<std::string> want;
  for (int i = 0; i < 30000; ++i) {
    want.push_back("名" + std::to_string(i));
    text += want.back() + (i % 3 == 0 ? "\r\n" : i % 3 == 1 ? "\r" : "\n");
  }
  test::write_file(dir.file("n.txt"), text);
  EXPECT_EQ(as_utf8(load_name_file(dir.file("n.txt"), "s")), want);
  EXPECT_EQ(as_utf8(parse_names(text, "n", "s")), want);
}

TEST(Names, ANameArgumentIsTrimmedAndMayNotBeEmpty) {
  EXPECT_EQ(parse_name_arg(" \t令狐冲\u3000", "name"), U"令狐冲");
  for (const std::string bad : {"", "  ", "\u3000"}) {
    try {
      parse_name_arg(bad, "name '" + bad + "'");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("empty"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(parse_name_arg("a\x1b"
                              "b",
                              "name"),
               Error);
}

// Values in messages and --help as a person types them.
TEST(Format, ShortestReadsBackWithoutAnExponentForTypedValues) {
  EXPECT_EQ(wuxia::shortest(0.8), "0.8");
  EXPECT_EQ(wuxia::shortest(20), "20");
  EXPECT_EQ(wuxia::shortest(300), "300");
  EXPECT_EQ(wuxia::shortest(1e-3), "0.001");
  EXPECT_EQ(wuxia::shortest(1e-5), "1e-05");
  EXPECT_EQ(std::stod(wuxia::shortest(0.1 + 0.2)), 0.1 + 0.2);
}
