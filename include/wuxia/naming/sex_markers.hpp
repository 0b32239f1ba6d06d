#pragma once
// Places and pairs of a given name that mark a sex (data/sex_markers.tsv, the
// project's own list): 伯英 is a man's name though 英 is a women's character
// today, because 伯 names the eldest son; 梦熊 is the omen of a son. The
// character counts cannot see this: they count each character alone, in any
// place. sex_lean.hpp adds each matching marker's log-odds.
#include <string>
#include <string_view>
#include <unordered_map>

namespace wuxia {

// How far one marker moves the lean: log-odds 3 (P 0.95 from an even lean),
// enough to outweigh the usual character's term (|log-odds| < 2.5) and to
// give a clear lean where the counts were split.
inline constexpr double kMarkerLogOdds = 3.0;

class SexMarkers {
 public:
  // `path` names the file in errors ("<path>:<line>: ...").
  static SexMarkers parse(std::string_view text, const std::string& path);
  static SexMarkers load(const std::string& path);

  // The markers' log-odds of female against male for a given name: X* for
  // its first character (two-character names), *X for its last, XY for the
  // whole; 0 when none matches.
  double log_odds(std::u32string_view given) const;
  // The same, from a two-character name's parts (the search's hot loop).
  double first(char32_t c) const { return at(first_, c); }
  double last(char32_t c) const { return at(last_, c); }
  double pair(char32_t a, char32_t b) const;
  std::size_t size() const { return first_.size() + last_.size() + pairs_.size(); }

 private:
  static double at(const std::unordered_map<char32_t, double>& m, char32_t c) {
    const auto it = m.find(c);
    return it == m.end() ? 0.0 : it->second;
  }
  std::unordered_map<char32_t, double> first_, last_;
  std::unordered_map<std::u32string, double> pairs_;
};

}  // namespace wuxia
