// The lean to a sex (include/wuxia/naming/sex_lean.hpp has the formula).
#include "wuxia/naming/sex_lean.hpp"

#include <cmath>

namespace wuxia {

std::optional<double> SexLean::p_female() const {
  if (known == 0 && !marked) return std::nullopt;
  return 1.0 / (1.0 + std::exp(-log_odds));
}

double female_log_odds(const HanziTable& t, const HanziInfo& c) {
  if (c.male + c.female == 0) return 0;
  const double k = static_cast<double>(t.counted());
  return std::log((static_cast<double>(c.female) + 1) / (static_cast<double>(t.female_total()) + k)) -
         std::log((static_cast<double>(c.male) + 1) / (static_cast<double>(t.male_total()) + k));
}

SexLean sex_lean(const HanziTable& t, std::u32string_view given, const SexMarkers* markers) {
  SexLean s;
  for (char32_t ch : given) {
    const HanziInfo* c = t.find(ch);
    if (!c || c->male + c->female == 0) {
      s.unknown.push_back(ch);
      continue;
    }
    s.log_odds += female_log_odds(t, *c);
    ++s.known;
  }
  if (markers) {
    const double m = markers->log_odds(given);
    s.log_odds += m;
    s.marked = m != 0;
  }
  return s;
}

}  // namespace wuxia
