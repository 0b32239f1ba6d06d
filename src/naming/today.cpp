// Names of our time (include/wuxia/naming/today.hpp has the formula and why).
#include "wuxia/naming/today.hpp"

#include <cmath>

namespace wuxia {

namespace {
// A character's young count counts only past these (today.hpp): the lists
// hold random pairs too (砭刁), whose characters few adults carry.
constexpr int64_t kYoungMinCount = 2;
constexpr int64_t kYoungMinAdults = 1000;
constexpr double kYoungFloor = 0.01;
}  // namespace

TodayPrior TodayPrior::build(const NamingData& d, const Vocab& vocab, const std::vector<std::u32string>& corpus) {
  const int V = vocab.size();
  // How many of the corpus's given names hold each character (a name counts
  // a character once, as the registration counts count people).
  std::vector<double> n(V, 0);
  double names = 0;
  std::u32string seen;
  for (const auto& full : corpus) {
    std::size_t s = d.surnames.match(full);
    if (s == 0) s = 1;  // a surname the table lacks: its first character
    if (full.size() <= s) continue;
    seen.clear();
    for (std::size_t i = s; i < full.size(); ++i) {
      const char32_t c = full[i];
      if (seen.find(c) != std::u32string::npos) continue;
      seen.push_back(c);
      const int32_t id = vocab.id_of(c);
      if (id >= 0) n[id] += 1;
    }
    names += 1;
  }
  const double chars = static_cast<double>(V - 1 - vocab.num_styles());
  const double K = static_cast<double>(d.hanzi.counted());
  const double M = static_cast<double>(d.hanzi.male_total()), F = static_cast<double>(d.hanzi.female_total());
  const double YM = static_cast<double>(d.young.male_total()), YF = static_cast<double>(d.young.female_total());
  const double w = d.young.size() ? kYoungShare : 0.0;
  TodayPrior p;
  p.young_ = &d.young;
  for (auto& t : p.terms_) t.assign(V, 0.0);
  for (int32_t id = 1 + vocab.num_styles(); id < V; ++id) {
    const char32_t c = vocab.char_of(id);
    const HanziInfo* h = d.hanzi.find(c);
    const double m = h ? static_cast<double>(h->male) : 0, f = h ? static_cast<double>(h->female) : 0;
    auto [ym, yf] = d.young.of(c);
    if (m + f < kYoungMinAdults) ym = yf = 0;
    if (ym < kYoungMinCount) ym = 0;
    if (yf < kYoungMinCount) yf = 0;
    if (ym + yf > 0) p.young_chars_.insert(c);
    const double young_m = (ym + kYoungFloor) / (YM + kYoungFloor * K);
    const double young_f = (yf + kYoungFloor) / (YF + kYoungFloor * K);
    // Any sex: each source's sexes pooled, as the adult counts are.
    const double young_any = (ym + yf + kYoungFloor) / (YM + YF + kYoungFloor * K);
    const double today[3] = {(1 - w) * (m + f + 1) / (M + F + K) + w * young_any,  // Sex::Any
                             (1 - w) * (f + 1) / (F + K) + w * young_f,            // Sex::Girl
                             (1 - w) * (m + 1) / (M + K) + w * young_m};           // Sex::Boy
    const double corpus_log = std::log((n[id] + 1) / (names + chars));
    const double dated = d.dated.reason(c) ? kDatedPenalty : 0.0;
    for (int s = 0; s < 3; ++s) {
      p.terms_[s][id] = kTodayWeight * std::log(today[s]) - kCorpusWeight * corpus_log - dated;
    }
  }
  return p;
}

double TodayPrior::term(int32_t id, Sex sex) const {
  const auto& t = terms_[static_cast<int>(sex)];
  return id >= 0 && static_cast<std::size_t>(id) < t.size() ? t[id] : 0.0;
}

double TodayPrior::name_bonus(char32_t a, char32_t b, Sex sex) const {
  if (!young_ || !young_->names()) return 0.0;
  // Only names of characters whose own counts count (build's rule): the
  // lists' random pairs (姐杼) are not names anyone carries.
  if (!young_chars_.count(a) || !young_chars_.count(b)) return 0.0;
  const auto [m, f] = young_->name(a, b);
  const bool carried = sex == Sex::Girl ? f > 0 : sex == Sex::Boy ? m > 0 : m + f > 0;
  return carried ? kYoungNameBonus : 0.0;
}

double TodayPrior::of(const Vocab& vocab, std::u32string_view given, Sex sex) const {
  double t = 0;
  for (char32_t c : given) t += term(vocab.id_of(c), sex);
  if (given.size() == 2) t += name_bonus(given[0], given[1], sex);
  return t;
}

}  // namespace wuxia
