// data/sex_markers.tsv (include/wuxia/naming/sex_markers.hpp).
#include "wuxia/naming/sex_markers.hpp"

#include "tsv.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/store/file_io.hpp"

namespace wuxia {

SexMarkers SexMarkers::parse(std::string_view text, const std::string& path) {
  SexMarkers m;
  naming::for_each_record(text, path, 3, [&](const std::vector<std::string_view>& f, std::size_t line) {
    const auto pattern = utf8::decode(f[0]);
    if (!pattern || pattern->size() != 2) {
      naming::fail_at(path, line, "pattern '" + std::string(f[0]) + "' is not X*, *X or two characters");
    }
    double odds = 0;
    if (f[1] == "male") {
      odds = -kMarkerLogOdds;
    } else if (f[1] == "female") {
      odds = kMarkerLogOdds;
    } else {
      naming::fail_at(path, line, "sex '" + std::string(f[1]) + "' is not male or female");
    }
    const char32_t a = (*pattern)[0], b = (*pattern)[1];
    if (a == U'*' && b == U'*') naming::fail_at(path, line, "pattern '**' marks every name");
    bool fresh = true;
    if (b == U'*') {
      fresh = m.first_.emplace(a, odds).second;
    } else if (a == U'*') {
      fresh = m.last_.emplace(b, odds).second;
    } else {
      fresh = m.pairs_.emplace(*pattern, odds).second;
    }
    if (!fresh) naming::fail_at(path, line, "pattern '" + std::string(f[0]) + "' is listed twice");
  });
  return m;
}

SexMarkers SexMarkers::load(const std::string& path) { return parse(read_whole_file(path), path); }

double SexMarkers::pair(char32_t a, char32_t b) const {
  if (pairs_.empty()) return 0.0;
  const auto it = pairs_.find(std::u32string{a, b});
  return it == pairs_.end() ? 0.0 : it->second;
}

double SexMarkers::log_odds(std::u32string_view given) const {
  if (given.size() != 2) return 0.0;  // the list's places are those of a two-character name
  return first(given[0]) + last(given[1]) + pair(given[0], given[1]);
}

}  // namespace wuxia
