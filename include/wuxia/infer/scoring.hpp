#pragma once
// Questions asked of a trained model about whole names: how likely is this
// name (score), which style wrote it (classify), and which names are likeliest
// under a surname (the naming helper, name_search.hpp).
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "wuxia/data/vocab.hpp"
#include "wuxia/infer/ensemble.hpp"
#include "wuxia/infer/sampler.hpp"
#include "wuxia/model/model.hpp"

namespace wuxia {

// Every question below takes an ensemble (ensemble.hpp: the mixture of its
// members' next-character distributions); a Model is the ensemble of one.

// log P(name | style) in nats, END included, for names whose characters are
// all in the vocabulary (others: NaN). One entry per name.
std::vector<double> log_likelihoods(Ensemble& model, const Vocab& vocab, const std::vector<std::u32string>& names,
                                    int style, int batch = 256);
std::vector<double> log_likelihoods(Model<float>& model, const Vocab& vocab, const std::vector<std::u32string>& names,
                                    int style, int batch = 256);

// P(style | name) from the per-style likelihoods and the styles' priors
// (their shares of the training names): Bayes' rule in log space.
struct StyleGuess {
  int best = -1;                  // -1 when the name cannot be scored
  std::vector<double> posterior;  // one per style, sums to 1
};
std::vector<StyleGuess> classify_names(Ensemble& model, const Vocab& vocab, const std::vector<std::u32string>& names,
                                       const std::vector<double>& priors);
std::vector<StyleGuess> classify_names(Model<float>& model, const Vocab& vocab,
                                       const std::vector<std::u32string>& names, const std::vector<double>& priors);

// Shares of the training names per style.
std::vector<double> style_priors(const std::vector<std::vector<std::u32string>>& train_names);

// Fraction of `reference` values strictly below `x`, plus half the ties (0..1).
double percentile_of(double x, std::vector<double> reference);

// The most samples a percentile is taken against (score, explain and serve
// alike): the default is 2000; more only holds the machine for minutes.
inline constexpr int kMaxReferenceSamples = 20000;

// Log-likelihoods of up to `n` distinct names the model itself samples in
// `style` (seeded): what score's and explain's percentiles are taken
// against. Fewer when the model rarely ends a name (3n attempts at most).
std::vector<double> sampled_reference(Ensemble& model, const Vocab& vocab, int style, int n, uint64_t seed);
std::vector<double> sampled_reference(Model<float>& model, const Vocab& vocab, int style, int n, uint64_t seed);

// The names' log-likelihoods and their percentiles (0 to 100) among
// `samples` names the model itself samples (sampled_reference, seeded): what
// score, explain and serve report. A name the model cannot score (a
// character it does not know) has NaN and no percentile; so has every name
// when the model sampled nothing.
struct Percentiles {
  std::vector<double> log_likelihood;             // one per name
  std::vector<std::optional<double>> percentile;  // one per name
  std::size_t reference = 0;  // distinct samples taken against: fewer than asked when the model rarely ends a name
};
Percentiles percentiles(Ensemble& model, const Vocab& vocab, const std::vector<std::u32string>& names, int style,
                        int samples, uint64_t seed);
Percentiles percentiles(Model<float>& model, const Vocab& vocab, const std::vector<std::u32string>& names, int style,
                        int samples, uint64_t seed);

}  // namespace wuxia
