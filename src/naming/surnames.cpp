// data/surnames.tsv (include/wuxia/surnames.hpp).
#include "wuxia/surnames.hpp"

#include "tsv.hpp"
#include "wuxia/error.hpp"
#include "wuxia/file_io.hpp"
#include "wuxia/utf8.hpp"

namespace wuxia {

SurnameTable SurnameTable::parse(std::string_view text, const std::string& path) {
  SurnameTable t;
  naming::for_each_record(text, path, 2, [&](const std::vector<std::string_view>& f, std::size_t line) {
    const std::u32string s = *utf8::decode(f[0]);  // for_each_record checked the line's UTF-8
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
    if (!t.readings_.emplace(s, std::move(syllables)).second) {
      naming::fail_at(path, line, "surname '" + std::string(f[0]) + "' is listed twice");
    }
    if (s.size() > t.longest_) t.longest_ = s.size();
  });
  if (t.readings_.empty()) throw Error(path + ": no surnames");
  return t;
}

SurnameTable SurnameTable::load(const std::string& path) { return parse(read_whole_file(path), path); }

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

}  // namespace wuxia
