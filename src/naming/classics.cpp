// data/classics.tsv (include/wuxia/classics.hpp).
#include "wuxia/classics.hpp"

#include <algorithm>

#include "tsv.hpp"
#include "wuxia/error.hpp"
#include "wuxia/file_io.hpp"
#include "wuxia/utf8.hpp"

namespace wuxia {

const std::vector<std::string>& Classics::classic_names() {
  static const std::vector<std::string> names{"诗经", "楚辞", "论语", "唐诗三百首", "宋词三百首"};
  return names;
}

Classics Classics::parse(std::string_view text, const std::string& path) {
  Classics c;
  const auto& known = classic_names();
  naming::for_each_record(text, path, 4, [&](const std::vector<std::string_view>& f, std::size_t line) {
    if (std::find(known.begin(), known.end(), f[0]) == known.end()) {
      naming::fail_at(path, line,
                      "classic '" + std::string(f[0]) + "' is not one of 诗经 楚辞 论语 唐诗三百首 宋词三百首");
    }
    ClassicLine l{std::string(f[0]), std::string(f[1]), f[2] == "-" ? "" : std::string(f[2]), std::string(f[3])};
    std::u32string cps = *utf8::decode(l.line);  // for_each_record checked the line's UTF-8
    const auto id = static_cast<uint32_t>(c.lines_.size());
    std::u32string seen;
    for (char32_t ch : cps) {
      if (seen.find(ch) != std::u32string::npos) continue;
      seen.push_back(ch);
      c.where_[ch].push_back(id);
    }
    c.chars_.push_back(std::move(cps));
    c.lines_.push_back(std::move(l));
  });
  return c;
}

Classics Classics::load(const std::string& path) { return parse(read_whole_file(path), path); }

std::vector<const ClassicLine*> Classics::lines_with(std::u32string_view chars, const std::string& classic,
                                                     std::size_t limit) const {
  std::vector<const ClassicLine*> out;
  if (chars.empty()) return out;
  const auto first = where_.find(chars[0]);
  if (first == where_.end()) return out;
  // Lines holding the characters as written, side by side (有女如玉 for 如玉),
  // come before lines that only hold them apart.
  for (const bool together : {true, false}) {
    for (uint32_t id : first->second) {
      if (out.size() >= limit) return out;
      if (!classic.empty() && lines_[id].classic != classic) continue;
      const bool side_by_side = chars_[id].find(chars) != std::u32string::npos;
      bool all = true;
      for (char32_t ch : chars.substr(1)) all = all && chars_[id].find(ch) != std::u32string::npos;
      if (all && side_by_side == together) out.push_back(&lines_[id]);
    }
  }
  return out;
}

std::unordered_set<char32_t> Classics::partners(char32_t c, const std::string& classic) const {
  std::unordered_set<char32_t> out;
  const auto it = where_.find(c);
  if (it == where_.end()) return out;
  for (uint32_t id : it->second) {
    if (!classic.empty() && lines_[id].classic != classic) continue;
    out.insert(chars_[id].begin(), chars_[id].end());
  }
  return out;
}

}  // namespace wuxia
