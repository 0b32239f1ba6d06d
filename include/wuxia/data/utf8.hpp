#pragma once
// UTF-8 <-> Unicode code points. A Chinese character is one code point, and
// a code point is one token: decoding must be exact and reject what is not
// UTF-8 (overlong forms, surrogates, values past U+10FFFF, truncation).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wuxia::utf8 {

struct DecodeError {
  std::size_t offset;  // byte offset of the first byte of the bad sequence
  std::string reason;  // e.g. "truncated sequence"
};

// Decodes all of `text`. On failure returns nullopt and fills `error`.
std::optional<std::u32string> decode(std::string_view text, DecodeError* error = nullptr);

// Decodes or throws wuxia::Error "<where>: invalid UTF-8 at byte N: reason".
std::u32string decode_or_throw(std::string_view text, const std::string& where);

// Encodes code points; throws wuxia::Error on a surrogate or a value past U+10FFFF.
std::string encode(std::u32string_view cps);
std::string encode(char32_t cp);

}  // namespace wuxia::utf8
