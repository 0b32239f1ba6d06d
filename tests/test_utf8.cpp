#include <gtest/gtest.h>

#include "wuxia/data/utf8.hpp"
#include "wuxia/platform/error.hpp"

using namespace wuxia;

TEST(Utf8, DecodesOneToFourByteSequences) {
  const std::string s = "a\xC3\xA9\xE4\xBB\xA4\xF0\x9F\x90\x89";  // a é 令 🐉
  auto cps = utf8::decode(s);
  ASSERT_TRUE(cps);
  EXPECT_EQ(*cps, (std::u32string{U'a', 0xE9, 0x4EE4, 0x1F409}));
}

TEST(Utf8, EncodeIsTheInverseOfDecode) {
  const std::u32string cps{0x7F, 0x80, 0x7FF, 0x800, 0xFFFF, 0x10000, 0x10FFFF, 0x4EE4};
  EXPECT_EQ(*utf8::decode(utf8::encode(cps)), cps);
}

TEST(Utf8, ChineseCharacterIsOneCodePoint) { EXPECT_EQ(utf8::decode("令狐冲")->size(), 3u); }

struct BadCase {
  const char* bytes;
  std::size_t offset;
  const char* reason;
};

TEST(Utf8, RejectsInvalidSequencesWithTheirPosition) {
  const BadCase cases[] = {
      {"ab\x80", 2, "unexpected continuation byte"},
      {"a\xC0\xAF", 1, "overlong encoding"},
      {"\xE0\x80\xAF", 0, "overlong encoding"},
      {"x\xED\xA0\x80", 1, "encoded surrogate"},
      {"\xF4\x90\x80\x80", 0, "code point past U+10FFFF"},
      {"ok\xE4\xBB", 2, "truncated sequence"},
      {"\xE4\x41\x42", 0, "truncated sequence"},
      {"\xFF", 0, "invalid lead byte"},
  };
  for (const auto& c : cases) {
    utf8::DecodeError err;
    EXPECT_FALSE(utf8::decode(c.bytes, &err)) << c.reason;
    EXPECT_EQ(err.offset, c.offset) << c.reason;
    EXPECT_EQ(err.reason, c.reason);
  }
}

TEST(Utf8, DecodeOrThrowNamesWhereAndByte) {
  try {
    utf8::decode_or_throw("ab\xFF", "names.txt:3");
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "names.txt:3: invalid UTF-8 at byte 2: invalid lead byte");
  }
}

TEST(Utf8, EncodeRejectsSurrogates) { EXPECT_THROW(utf8::encode(char32_t{0xD800}), Error); }
