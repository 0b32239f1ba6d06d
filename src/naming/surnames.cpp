// data/surnames.tsv (include/wuxia/naming/surnames.hpp).
#include "wuxia/naming/surnames.hpp"

#include "tsv.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/naming/hanzi.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/file_io.hpp"

namespace wuxia {

namespace {
// The syllables of a surname's reading, one per character of `s`, else an error at the line.
std::vector<std::string> surname_syllables(const std::u32string& s, const std::vector<std::string_view>& f,
                                           const std::string& path, std::size_t line) {
  std::vector<std::string> syllables;
  std::string_view rest = f[1];
  for (;;) {
    const auto sp = rest.find(' ');
    syllables.emplace_back(rest.substr(0, sp));
    if (syllables.back().empty())
      naming::fail_at(path, line, "pinyin '" + std::string(f[1]) + "' has an empty syllable");
    if (sp == std::string_view::npos) break;
    rest.remove_prefix(sp + 1);
  }
  if (syllables.size() != s.size()) {
    naming::fail_at(path, line,
                    "surname '" + std::string(f[0]) + "' has " + std::to_string(s.size()) + " character(s) but " +
                        std::to_string(syllables.size()) + " syllable(s)");
  }
  return syllables;
}
}  // namespace

SurnameTable SurnameTable::parse(std::string_view text, const std::string& path) {
  SurnameTable t;
  naming::for_each_record(text, path, 2, [&](const std::vector<std::string_view>& f, std::size_t line) {
    const std::u32string s = *utf8::decode(f[0]);  // for_each_record checked the line's UTF-8
    std::vector<std::string> syllables = surname_syllables(s, f, path, line);
    if (!t.readings_.emplace(s, std::move(syllables)).second) {
      naming::fail_at(path, line, "surname '" + std::string(f[0]) + "' is listed twice");
    }
    if (s.size() > t.longest_) t.longest_ = s.size();
  });
  if (t.readings_.empty()) throw Error(path + ": no surnames");
  return t;
}

SurnameTable SurnameTable::load(const std::string& path) { return parse(read_whole_file(path), path); }

std::size_t SurnameTable::apply_fixes(std::string_view text, const std::string& path, const HanziTable* hanzi) {
  std::unordered_map<std::u32string, std::size_t> seen;  // surname -> its line, for a repeat
  naming::for_each_record(text, path, 3, [&](const std::vector<std::string_view>& f, std::size_t line) {
    const std::u32string s = *utf8::decode(f[0]);
    if (s.empty() || s.size() > 2)
      naming::fail_at(path, line, "surname '" + std::string(f[0]) + "' is not 1 or 2 characters");
    for (char32_t c : s) {
      if (hanzi && !hanzi->find(c)) {
        naming::fail_at(path, line,
                        "surname '" + std::string(f[0]) + "': '" + utf8::encode(c) + "' is not in hanzi.tsv");
      }
    }
    std::vector<std::string> syllables = surname_syllables(s, f, path, line);
    if (!seen.emplace(s, line).second) {
      naming::fail_at(
          path, line,
          "surname '" + std::string(f[0]) + "' is fixed twice (first at line " + std::to_string(seen[s]) + ")");
    }
    auto [it, added] = readings_.emplace(s, syllables);
    if (!added) {
      // A fix that changes nothing would hide that the source was corrected upstream.
      if (it->second == syllables) {
        naming::fail_at(path, line,
                        "surname '" + std::string(f[0]) + "' already reads '" + std::string(f[1]) +
                            "' in the surname table: nothing to fix");
      }
      it->second = std::move(syllables);
    }
    if (s.size() > longest_) longest_ = s.size();
  });
  return seen.size();
}

std::size_t SurnameTable::match(std::u32string_view name) const {
  for (std::size_t len = std::min(longest_, name.size() - (name.empty() ? 0 : 1)); len > 0; --len) {
    if (readings_.count(std::u32string(name.substr(0, len)))) return len;
  }
  return 0;
}

const std::vector<std::string>* SurnameTable::reading(std::u32string_view surname) const {
  const auto it = readings_.find(std::u32string(surname));
  return it == readings_.end() ? nullptr : &it->second;
}

std::vector<std::u32string> SurnameTable::surnames() const {
  std::vector<std::u32string> out;
  out.reserve(readings_.size());
  for (const auto& [s, reading] : readings_) out.push_back(s);
  return out;
}

}  // namespace wuxia
