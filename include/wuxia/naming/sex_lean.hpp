#pragma once
// How a given name leans to a sex, from how often its characters are in
// men's and women's given names (hanzi.hpp's counts): naive Bayes with equal
// priors, because the question is how a name reads, not how many boys are born.
//   P(c|female) = (f_c + 1) / (F + K),  P(c|male) = (m_c + 1) / (M + K)
//   log-odds = sum over the given characters with any count of
//              log P(c|female) - log P(c|male)
//   P(female) = 1 / (1 + exp(-log-odds))
// (F, M: the table's totals; K: the characters with any count.) A character
// without counts adds nothing and is reported as unknown. With markers
// (sex_markers.hpp), each place or pair of a two-character given name that
// marks a sex adds kMarkerLogOdds toward it (伯英, 梦熊).
#include <optional>
#include <string>

#include "wuxia/naming/hanzi.hpp"
#include "wuxia/naming/sex_markers.hpp"

namespace wuxia {

struct SexLean {
  double log_odds = 0;     // of female against male
  int known = 0;           // given characters that have counts
  std::u32string unknown;  // given characters without counts (or not in the table)
  bool marked = false;     // a marker matched (its log-odds are in log_odds)
  // P(female); nullopt when no character has counts and no marker matched.
  std::optional<double> p_female() const;
};

// One character's term of the log-odds; 0 for a character without counts.
double female_log_odds(const HanziTable& table, const HanziInfo& c);
SexLean sex_lean(const HanziTable& table, std::u32string_view given, const SexMarkers* markers = nullptr);

}  // namespace wuxia
