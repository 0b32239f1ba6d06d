// Any bytes given to the naming tables' parsers (src/naming/) either parse or
// raise wuxia::Error, and what parses holds what the format promises.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "wuxia/naming/classics.hpp"
#include "wuxia/naming/hanzi.hpp"
#include "wuxia/naming/ill_omened.hpp"
#include "wuxia/naming/readings.hpp"
#include "wuxia/naming/sounds_like.hpp"
#include "wuxia/naming/surnames.hpp"
#include "wuxia/naming/titles.hpp"
#include "wuxia/platform/error.hpp"

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
  try {
    // The real character table (its words must be of known characters), read once.
    static const wuxia::HanziTable hanzi = wuxia::HanziTable::load(WUXIA_FUZZ_HANZI);
    const wuxia::SoundsLikeTable t = wuxia::SoundsLikeTable::parse(text, "fuzz", hanzi);
    for (const auto& w : t.all()) {
      if (w.chars.size() != w.sounds.size() || w.tones.size() != w.sounds.size()) std::abort();
      std::vector<std::string> pinyin;
      for (std::size_t i = 0, at = 0; i < w.sounds.size(); ++i) {
        const std::size_t sp = w.pinyin.find(' ', at);
        pinyin.push_back(w.pinyin.substr(at, sp - at));
        at = sp + 1;
      }
      // A word read as written always matches itself.
      bool found = false;
      for (const auto& m : t.match(pinyin, w.chars)) found = found || m.word == w.chars;
      if (!found) std::abort();
    }
  } catch (const wuxia::Error&) {
  }
  return 0;
}
