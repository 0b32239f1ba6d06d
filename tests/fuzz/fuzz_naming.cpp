// Any bytes given to the naming tables' parsers (src/naming/) either parse or
// raise wuxia::Error, and what parses holds what the format promises.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wuxia/classics.hpp"
#include "wuxia/error.hpp"
#include "wuxia/hanzi.hpp"
#include "wuxia/ill_omened.hpp"
#include "wuxia/readings.hpp"
#include "wuxia/surnames.hpp"
#include "wuxia/titles.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Parsed in place: ASan sees a read past the fuzzer's exact-size buffer.
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const wuxia::HanziTable t = wuxia::HanziTable::parse(text, "fuzz");
    for (const auto& h : t.all()) {
      if (t.find(h.ch) != &h || h.level < 0 || h.level > 3) std::abort();
      if (h.pingze != wuxia::kPing && h.pingze != wuxia::kZe && h.pingze != wuxia::kToneUnknown) std::abort();
      for (const auto& r : h.readings) (void)wuxia::tone_of(r), (void)wuxia::toneless(r);
    }
  } catch (const wuxia::Error&) {
  }
  try {
    const wuxia::SurnameTable s = wuxia::SurnameTable::parse(text, "fuzz");
    const std::u32string probe = U"欧阳修";
    const std::size_t n = s.match(probe);
    if (n >= probe.size() || (n && s.reading(probe.substr(0, n))->size() != n)) std::abort();
  } catch (const wuxia::Error&) {
  }
  try {
    const wuxia::Classics c = wuxia::Classics::parse(text, "fuzz");
    for (const auto* l : c.lines_with(U"之子")) {
      if (l->line.empty()) std::abort();
    }
    (void)c.partners(U'之');
  } catch (const wuxia::Error&) {
  }
  try {
    (void)wuxia::IllOmened::parse(text, "fuzz");
  } catch (const wuxia::Error&) {
  }
  try {
    const wuxia::Titles t = wuxia::Titles::parse(text, "fuzz");
    for (char32_t c : t.chars()) {
      if (c == U'*') std::abort();
    }
    (void)t.reason(U"明帝"), (void)t.reason(U"帝"), (void)t.reason(U"");
  } catch (const wuxia::Error&) {
  }
  try {
    const wuxia::WordReadings w = wuxia::WordReadings::parse(text, "fuzz");
    for (const auto& [word, readings] : w.all()) {
      for (const auto& r : readings) {
        if (r.size() != word.size()) std::abort();
      }
    }
  } catch (const wuxia::Error&) {
  }
  try {
    const wuxia::NameReadings n = wuxia::NameReadings::parse(text, "fuzz");
    for (const auto& [c, e] : n.all()) {
      if (e.readings.empty() || e.reason.empty()) std::abort();
      for (const auto& r : e.readings) {
        if (wuxia::tone_of(r) == 5) std::abort();
      }
    }
  } catch (const wuxia::Error&) {
  }
  try {
    wuxia::SurnameTable s = wuxia::SurnameTable::parse("欧阳\tōu yáng\n", "base");
    s.apply_fixes(text, "fuzz");
    const std::u32string probe = U"欧阳修";
    const std::size_t n = s.match(probe);
    if (n >= probe.size() || (n && s.reading(probe.substr(0, n))->size() != n)) std::abort();
  } catch (const wuxia::Error&) {
  }
  return 0;
}
