#pragma once
// Questions asked of a trained model about whole names: how likely is this
// name (score), which style wrote it (classify), and which names are likeliest
// under a surname (the naming helper).
#include <string>
#include <unordered_set>
#include <vector>

#include "wuxia/model.hpp"
#include "wuxia/sampler.hpp"
#include "wuxia/vocab.hpp"

namespace wuxia {

// log P(name | style) in nats, END included, for names whose characters are
// all in the vocabulary (others: NaN). One entry per name.
std::vector<double> log_likelihoods(Model<float>& model, const Vocab& vocab, const std::vector<std::u32string>& names,
                                    int style, int batch = 256);

// P(style | name) from the per-style likelihoods and the styles' priors
// (their shares of the training names): Bayes' rule in log space.
struct StyleGuess {
  int best = -1;                  // -1 when the name cannot be scored
  std::vector<double> posterior;  // one per style, sums to 1
};
std::vector<StyleGuess> classify_names(Model<float>& model, const Vocab& vocab,
                                       const std::vector<std::u32string>& names, const std::vector<double>& priors);

// Shares of the training names per style.
std::vector<double> style_priors(const std::vector<std::vector<std::u32string>>& train_names);

// Fraction of `reference` values strictly below `x`, plus half the ties (0..1).
double percentile_of(double x, std::vector<double> reference);

// The naming helper: the likeliest names that are `surname` followed by
// exactly `given_len` characters (then END), found by beam search over the
// given-name characters (width `beam`), ranked by log P(name | style).
// Excluded characters never appear in the given name; names in `known` are
// skipped (novel only).
struct NameSuggestion {
  std::u32string name;
  double log_prob = 0;  // nats, END included
};
struct NameSearch {
  std::u32string surname;
  int given_len = 2;
  int n = 20;
  int style = 0;
  int beam = 0;  // 0 = max(64, 4n)
  std::unordered_set<char32_t> exclude;
};
std::vector<NameSuggestion> suggest_names(Model<float>& model, const Vocab& vocab, const NameSets& known,
                                          const NameSearch& search);

}  // namespace wuxia
