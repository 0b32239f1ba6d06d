#include "wuxia/data/utf8.hpp"

#include "wuxia/platform/error.hpp"

namespace wuxia::utf8 {

std::optional<std::u32string> decode(std::string_view text, DecodeError* error) {
  // Valid UTF-8 has one code point per byte that is not a continuation byte:
  // reserving that many (not one per byte) keeps a short name inside the
  // string itself, with no allocation.
  std::size_t leads = 0;
  for (char c : text) leads += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  std::u32string out;
  out.reserve(leads);
  auto fail = [&](std::size_t at, const char* why) -> std::optional<std::u32string> {
    if (error) *error = {at, why};
    return std::nullopt;
  };
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    if (b0 < 0x80) {
      out.push_back(b0);
      ++i;
      continue;
    }
    int len;
    char32_t cp;
    char32_t min;
    if ((b0 & 0xE0) == 0xC0) {
      len = 2, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      len = 3, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      len = 4, cp = b0 & 0x07, min = 0x10000;
    } else if ((b0 & 0xC0) == 0x80) {
      return fail(i, "unexpected continuation byte");
    } else {
      return fail(i, "invalid lead byte");
    }
    if (i + len > n) return fail(i, "truncated sequence");
    for (int k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xC0) != 0x80) return fail(i, "truncated sequence");
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min) return fail(i, "overlong encoding");
    if (cp >= 0xD800 && cp <= 0xDFFF) return fail(i, "encoded surrogate");
    if (cp > 0x10FFFF) return fail(i, "code point past U+10FFFF");
    out.push_back(cp);
    i += len;
  }
  return out;
}

std::u32string decode_or_throw(std::string_view text, const std::string& where) {
  DecodeError err;
  auto cps = decode(text, &err);
  if (!cps) {
    throw Error(where + ": invalid UTF-8 at byte " + std::to_string(err.offset) + ": " + err.reason);
  }
  return *std::move(cps);
}

static void append(std::string& out, char32_t cp) {
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
    throw Error("cannot encode U+" + std::to_string(static_cast<unsigned long>(cp)) + " as UTF-8");
  }
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string encode(std::u32string_view cps) {
  std::string out;
  out.reserve(cps.size() * 3);
  for (char32_t cp : cps) append(out, cp);
  return out;
}

std::string encode(char32_t cp) {
  std::string out;
  append(out, cp);
  return out;
}

}  // namespace wuxia::utf8
