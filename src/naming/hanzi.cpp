// data/hanzi.tsv (include/wuxia/naming/hanzi.hpp).
#include "wuxia/naming/hanzi.hpp"

#include <algorithm>
#include <charconv>

#include "tsv.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/file_io.hpp"

namespace wuxia {

namespace naming {
// Exactly one code point, else an error naming the field.
char32_t one_char(std::string_view field, const std::string& path, std::size_t line, const std::string& what) {
  const auto cps = utf8::decode(field);
  if (!cps || cps->size() != 1) fail_at(path, line, what + " '" + std::string(field) + "' is not one character");
  return (*cps)[0];
}

int64_t count_field(std::string_view field, const std::string& path, std::size_t line, const std::string& what,
                    int64_t max) {
  int64_t v = -1;
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
  if (ec != std::errc() || end != field.data() + field.size() || v < 0 || v > max) {
    fail_at(path, line, what + " '" + std::string(field) + "' is not a whole number in 0.." + std::to_string(max));
  }
  return v;
}
}  // namespace naming

HanziTable HanziTable::parse(std::string_view text, const std::string& path) {
  using naming::count_field;
  using naming::fail_at;
  HanziTable t;
  naming::for_each_record(text, path, 8, [&](const std::vector<std::string_view>& f, std::size_t line) {
    HanziInfo h;
    h.ch = naming::one_char(f[0], path, line, "char");
    if (!t.chars_.empty() && h.ch <= t.chars_.back().ch) {
      fail_at(path, line, "char '" + std::string(f[0]) + "' is out of code-point order or repeated");
    }
    if (f[1] != "-") {
      std::string_view rest = f[1];
      for (;;) {
        const auto comma = rest.find(',');
        const std::string_view r = rest.substr(0, comma);
        if (r.empty()) fail_at(path, line, "pinyin '" + std::string(f[1]) + "' has an empty reading");
        h.readings.emplace_back(r);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
    h.level = static_cast<int>(count_field(f[2], path, line, "level", 3));
    h.strokes = static_cast<int>(count_field(f[3], path, line, "strokes", 200));
    // One 平/仄/? per reading, in the readings' order (a single ? when there is none).
    std::string_view rest = f[4];
    for (;;) {
      const auto comma = rest.find(',');
      const char32_t p = naming::one_char(rest.substr(0, comma), path, line, "pingze");
      if (p != kPing && p != kZe && p != kToneUnknown) {
        fail_at(path, line, "pingze '" + std::string(f[4]) + "' is not 平, 仄 or ? for each reading");
      }
      h.pingzes.push_back(p);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (h.pingzes.size() != std::max<std::size_t>(h.readings.size(), 1)) {
      fail_at(path, line,
              "pingze '" + std::string(f[4]) + "' has " + std::to_string(h.pingzes.size()) +
                  " verdict(s) but pinyin '" + std::string(f[1]) + "' " + std::to_string(h.readings.size()) +
                  " reading(s)");
    }
    h.pingze = h.pingzes.front();
    h.male = count_field(f[5], path, line, "male", INT64_C(1) << 40);
    h.female = count_field(f[6], path, line, "female", INT64_C(1) << 40);
    if (f[7] != "-") h.gloss = std::string(f[7]);
    t.male_total_ += h.male;
    t.female_total_ += h.female;
    t.counted_ += (h.male + h.female) > 0;
    t.chars_.push_back(std::move(h));
  });
  if (t.chars_.empty()) throw Error(path + ": no characters");
  t.index_.reserve(t.chars_.size());
  for (std::size_t i = 0; i < t.chars_.size(); ++i) t.index_.emplace(t.chars_[i].ch, i);
  return t;
}

HanziTable HanziTable::load(const std::string& path) { return parse(read_whole_file(path), path); }

char32_t HanziInfo::pingze_of(std::string_view reading) const {
  for (std::size_t i = 0; i < readings.size(); ++i) {
    if (readings[i] == reading) return pingzes[i];
  }
  const int t = tone_of(reading);
  if (t == 3 || t == 4) return kZe;
  if (t != 1 && t != 2) return kToneUnknown;
  char32_t shared = 0;
  for (std::size_t i = 0; i < readings.size(); ++i) {
    const int ti = tone_of(readings[i]);
    if (ti != 1 && ti != 2) continue;
    if (shared && shared != pingzes[i]) return kToneUnknown;
    shared = pingzes[i];
  }
  return shared ? shared : kToneUnknown;
}

const HanziInfo* HanziTable::find(char32_t c) const {
  const auto it = index_.find(c);
  return it == index_.end() ? nullptr : &chars_[it->second];
}

std::string toneless(std::string_view syllable) {
  // Pinyin's tone marks sit on a, e, i, o, u and ü; each marked vowel is one
  // precomposed code point (Unihan's readings use no combining marks).
  static const std::u32string marked[] = {U"āáǎà", U"ēéěè", U"īíǐì", U"ōóǒò", U"ūúǔù", U"ǖǘǚǜ"};
  static const char32_t plain[] = {U'a', U'e', U'i', U'o', U'u', U'ü'};
  const auto cps = utf8::decode(syllable);
  if (!cps) return std::string(syllable);
  std::u32string out;
  for (char32_t c : *cps) {
    for (std::size_t v = 0; v < 6; ++v) {
      if (marked[v].find(c) != std::u32string::npos) c = plain[v];
    }
    out.push_back(c);
  }
  return utf8::encode(out);
}

int tone_of(std::string_view syllable) {
  static const std::u32string marks[] = {U"āēīōūǖ", U"áéíóúǘḿń", U"ǎěǐǒǔǚň", U"àèìòùǜǹ"};
  const auto cps = utf8::decode(syllable);
  if (!cps) return 5;
  for (char32_t c : *cps) {
    for (int t = 0; t < 4; ++t) {
      if (marks[t].find(c) != std::u32string::npos) return t + 1;
    }
  }
  return 5;
}

}  // namespace wuxia
