#pragma once
// Names of our time from a model of history's names (issue 27;
// docs/NAMING.md). The base model learnt how a Chinese given name is built
// from 266k names of historical people and poets, so on its own it proposes
// Ming-Qing gentry (廷芳 应魁 守忠). What a family chooses today differs from
// those names above all in which characters it uses, and for that there is
// data of our time: how many living men and women carry each character in
// their given name (data/hanzi.tsv's counts). So the search keeps the model's
// sense of how a name is put together and swaps its character frequencies for
// today's, a product of experts:
//
//   today(name) = sum over the given characters c of
//       lambda * log p_today(c | sex) - mu * log p_corpus(c) - dated(c)
//
//   p_today(c | sex)  = (1 - w) * p_adult(c | sex) + w * p_young(c | sex)
//   p_adult(c | girl) = (f_c + 1) / (F + K)       (boy: m, M; any: m + f, M + F)
//                       data/hanzi.tsv's registration counts, K characters counted
//   p_young(c | girl) = (y_c + 0.01) / (Y + 0.01 K), y_c data/young.tsv's count
//                       where it is at least 2 and the character is in at
//                       least 1,000 adults' given names (else 0: the lists
//                       hold random pairs too), Y all the counts of that sex
//   p_corpus(c)       = (n_c + 1) / (N + C): the share of the model's own
//                       training names (the style asked) whose given name
//                       holds c, over C vocabulary characters
//   dated(c)          = kDatedPenalty for a character of data/dated.tsv
//
// and a two-character given name that young people's lists carry for the
// sex asked (young.hpp's names), both of whose characters p_young counts,
// gains kYoungNameBonus: those lists are the only pairs of our time there
// are, and a family reads a name it has met as a name. Not chosen on the
// development names (no development name is in those lists, so they cannot
// see it): the value is a judgement, e^2 = 7.4 times as likely, and
// `wuxia name --json` shows each name's today term.
//
// With lambda = mu = 1 the model's character frequencies would be swapped for
// today's exactly. The weights were chosen on development names that no table
// here holds (Faker's zh_CN and zh_TW given names, mingzi's two-character
// names; scripts/tune_today.py prints the table, docs/QUALITY.md has it),
// never on what is reported (dated 1 and 2 tie there; 2 was kept, the
// stronger move from the adults' fashion). The adult counts carry the fashion of names
// given from the 1950s to the 1990s (建华 丽娟 rank first); p_young and the
// hand-written dated characters move the list toward names given now.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "wuxia/data/vocab.hpp"
#include "wuxia/naming/name_request.hpp"
#include "wuxia/naming/naming_data.hpp"

namespace wuxia {

inline constexpr double kTodayWeight = 0.75;    // lambda
inline constexpr double kCorpusWeight = 0.75;   // mu
inline constexpr double kYoungShare = 0.5;      // w
inline constexpr double kDatedPenalty = 2.0;    // nats per dated character
inline constexpr double kYoungNameBonus = 2.0;  // nats for a name of young people's lists

class TodayPrior {
 public:
  // `corpus`: the names the model learnt the style from (surname and given
  // name together; the given name is what follows the longest surname of
  // data.surnames, else the first character). Characters of `vocab` without
  // counts take the smoothed floor: a character nobody carries today is
  // unlikely, not impossible. With `data.young` empty, w is 0.
  static TodayPrior build(const NamingData& data, const Vocab& vocab, const std::vector<std::u32string>& corpus);
  // The term of one character (a vocabulary id) for the sex asked; 0 for ids
  // that are not characters.
  double term(int32_t id, Sex sex) const;
  // kYoungNameBonus when young people's lists carry the given name ab for
  // `sex` (any: either), else 0.
  double name_bonus(char32_t a, char32_t b, Sex sex) const;
  // The whole today term of a given name: its characters' terms (not in the
  // vocabulary: 0) and, for two characters, the name's bonus.
  double of(const Vocab& vocab, std::u32string_view given, Sex sex) const;

 private:
  const YoungCounts* young_ = nullptr;        // the NamingData's, which outlives the prior
  std::unordered_set<char32_t> young_chars_;  // characters whose young counts count (p_young's rule)
  std::vector<double> terms_[3];              // by Sex: Any, Girl, Boy; indexed by vocabulary id
};

}  // namespace wuxia
