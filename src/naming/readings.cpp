// How a name is read (include/wuxia/naming/readings.hpp).
#include "wuxia/naming/readings.hpp"

#include <algorithm>

#include "tsv.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/naming/naming_data.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/file_io.hpp"

namespace wuxia {

namespace {
std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

void check_chars(const HanziTable* hanzi, const std::u32string& s, std::string_view field, const std::string& path,
                 std::size_t line) {
  if (!hanzi) return;
  for (char32_t c : s) {
    if (!hanzi->find(c)) {
      naming::fail_at(path, line, "'" + std::string(field) + "': '" + utf8::encode(c) + "' is not in hanzi.tsv");
    }
  }
}
}  // namespace

WordReadings WordReadings::parse(std::string_view text, const std::string& path, const HanziTable* hanzi) {
  WordReadings t;
  naming::for_each_record(text, path, 2, [&](const std::vector<std::string_view>& f, std::size_t line) {
    const std::u32string w = *utf8::decode(f[0]);  // for_each_record checked the line's UTF-8
    if (w.size() < 2) naming::fail_at(path, line, "word '" + std::string(f[0]) + "' is not two characters or more");
    check_chars(hanzi, w, f[0], path, line);
    std::vector<std::vector<std::string>> readings;
    for (std::string_view r : split(f[1], ',')) {
      std::vector<std::string> syllables;
      for (std::string_view s : split(r, ' ')) {
        if (s.empty()) naming::fail_at(path, line, "pinyin '" + std::string(f[1]) + "' has an empty syllable");
        syllables.emplace_back(s);
      }
      if (syllables.size() != w.size()) {
        naming::fail_at(path, line,
                        "word '" + std::string(f[0]) + "' has " + std::to_string(w.size()) + " characters but '" +
                            std::string(r) + "' " + std::to_string(syllables.size()) + " syllable(s)");
      }
      if (std::find(readings.begin(), readings.end(), syllables) != readings.end()) {
        naming::fail_at(path, line, "pinyin '" + std::string(f[1]) + "' lists '" + std::string(r) + "' twice");
      }
      readings.push_back(std::move(syllables));
    }
    if (!t.words_.emplace(w, std::move(readings)).second) {
      naming::fail_at(path, line, "word '" + std::string(f[0]) + "' is listed twice");
    }
  });
  if (t.words_.empty()) throw Error(path + ": no words");
  return t;
}

WordReadings WordReadings::load(const std::string& path, const HanziTable* hanzi) {
  return parse(read_whole_file(path), path, hanzi);
}

const std::vector<std::vector<std::string>>* WordReadings::find(std::u32string_view word) const {
  const auto it = words_.find(std::u32string(word));
  return it == words_.end() ? nullptr : &it->second;
}

NameReadings NameReadings::parse(std::string_view text, const std::string& path, const HanziTable* hanzi) {
  NameReadings t;
  naming::for_each_record(text, path, 3, [&](const std::vector<std::string_view>& f, std::size_t line) {
    const char32_t c = naming::one_char(f[0], path, line, "char");
    check_chars(hanzi, std::u32string(1, c), f[0], path, line);
    Entry e;
    for (std::string_view r : split(f[1], ',')) {
      // A given name has no neutral tone, so a reading without a tone mark is a typo.
      if (r.empty() || r.find(' ') != std::string_view::npos || tone_of(r) == 5) {
        naming::fail_at(
            path, line,
            "pinyin '" + std::string(f[1]) + "': '" + std::string(r) + "' is not one syllable with a tone mark");
      }
      if (std::find(e.readings.begin(), e.readings.end(), r) != e.readings.end()) {
        naming::fail_at(path, line, "pinyin '" + std::string(f[1]) + "' lists '" + std::string(r) + "' twice");
      }
      e.readings.emplace_back(r);
    }
    e.reason = std::string(f[2]);
    if (!t.chars_.emplace(c, std::move(e)).second) {
      naming::fail_at(path, line, "char '" + std::string(f[0]) + "' is listed twice");
    }
  });
  if (t.chars_.empty()) throw Error(path + ": no characters");
  return t;
}

NameReadings NameReadings::load(const std::string& path, const HanziTable* hanzi) {
  return parse(read_whole_file(path), path, hanzi);
}

const NameReadings::Entry* NameReadings::find(char32_t c) const {
  const auto it = chars_.find(c);
  return it == chars_.end() ? nullptr : &it->second;
}

std::string given_reading(const NamingData& d, const HanziInfo& c) {
  const NameReadings::Entry* e = d.name_readings.find(c.ch);
  return e ? e->readings.front() : c.reading();
}

char32_t name_pingze(const NamingData& d, const HanziInfo& c) { return c.pingze_of(given_reading(d, c)); }

std::vector<std::vector<std::string>> read_name(const NamingData& d, std::u32string_view surname,
                                                std::u32string_view given) {
  auto first_reading = [&](char32_t c) {
    const HanziInfo* h = d.hanzi.find(c);
    return h ? h->reading() : std::string("-");
  };
  // The given name's readings, without the surname; each added once.
  std::vector<std::vector<std::string>> ways;
  auto add = [&](std::vector<std::string> r) {
    if (std::find(ways.begin(), ways.end(), r) == ways.end()) ways.push_back(std::move(r));
  };
  const auto* word = given.size() == 2 ? d.word_readings.find(given) : nullptr;
  if (word) {
    for (const auto& r : *word) add(r);
    // The name list's reading where it differs from the word's (相宜: xiāng yí, but 相 is xiàng in the list).
    std::vector<std::string> listed = word->front();
    for (std::size_t i = 0; i < given.size(); ++i) {
      if (const NameReadings::Entry* e = d.name_readings.find(given[i])) listed[i] = e->readings.front();
    }
    add(std::move(listed));
  } else {
    // Each character's readings in a name; a character the list reads two ways makes two readings of the name,
    // every combination in order, so that the first is the one of each character's first.
    std::vector<std::vector<std::string>> acc{{}};
    for (char32_t c : given) {
      const NameReadings::Entry* e = d.name_readings.find(c);
      const std::vector<std::string> opts = e ? e->readings : std::vector<std::string>{first_reading(c)};
      std::vector<std::vector<std::string>> next;
      for (const auto& a : acc) {
        for (const auto& o : opts) {
          next.push_back(a);
          next.back().push_back(o);
        }
      }
      acc = std::move(next);
    }
    for (auto& r : acc) add(std::move(r));
  }
  std::vector<std::string> head;
  const std::vector<std::string>* sr = surname.empty() ? nullptr : d.surnames.reading(surname);
  for (std::size_t i = 0; i < surname.size(); ++i) head.push_back(sr ? (*sr)[i] : first_reading(surname[i]));
  for (auto& w : ways) w.insert(w.begin(), head.begin(), head.end());
  return ways;
}

std::u32string pingze_of_reading(const NamingData& d, std::u32string_view name,
                                 const std::vector<std::string>& syllables) {
  std::u32string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const HanziInfo* h = d.hanzi.find(name[i]);
    out.push_back(h && i < syllables.size() ? h->pingze_of(syllables[i]) : kToneUnknown);
  }
  return out;
}

}  // namespace wuxia
