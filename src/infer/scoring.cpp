#include "wuxia/infer/scoring.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "wuxia/data/utf8.hpp"
#include "wuxia/infer/evaluate.hpp"
#include "wuxia/platform/error.hpp"

namespace wuxia {

std::vector<double> log_likelihoods(Model<float>& model, const Vocab& vocab, const std::vector<std::u32string>& names,
                                    int style, int batch) {
  Ensemble one(model);
  return log_likelihoods(one, vocab, names, style, batch);
}

std::vector<StyleGuess> classify_names(Model<float>& model, const Vocab& vocab,
                                       const std::vector<std::u32string>& names, const std::vector<double>& priors) {
  Ensemble one(model);
  return classify_names(one, vocab, names, priors);
}

std::vector<double> sampled_reference(Model<float>& model, const Vocab& vocab, int style, int n, uint64_t seed) {
  Ensemble one(model);
  return sampled_reference(one, vocab, style, n, seed);
}

Percentiles percentiles(Model<float>& model, const Vocab& vocab, const std::vector<std::u32string>& names, int style,
                        int samples, uint64_t seed) {
  Ensemble one(model);
  return percentiles(one, vocab, names, style, samples, seed);
}

Percentiles percentiles(Ensemble& model, const Vocab& vocab, const std::vector<std::u32string>& names, int style,
                        int samples, uint64_t seed) {
  Percentiles p;
  const std::vector<double> reference = sampled_reference(model, vocab, style, samples, seed);
  p.reference = reference.size();
  p.log_likelihood = log_likelihoods(model, vocab, names, style);
  for (double ll : p.log_likelihood) {
    p.percentile.push_back(std::isnan(ll) || reference.empty()
                               ? std::nullopt
                               : std::optional<double>(100.0 * percentile_of(ll, reference)));
  }
  return p;
}

std::vector<double> log_likelihoods(Ensemble& model, const Vocab& vocab, const std::vector<std::u32string>& names,
                                    int style, int batch) {
  std::vector<double> out(names.size(), std::numeric_limits<double>::quiet_NaN());
  std::vector<Example> ex;
  std::vector<std::size_t> where;
  for (std::size_t i = 0; i < names.size(); ++i) {
    Example e;
    if (encode_name(vocab, style, names[i], e)) {
      ex.push_back(std::move(e));
      where.push_back(i);
    }
  }
  if (ex.empty()) return out;
  std::vector<double> nll;
  evaluate(model, ex, batch, &nll);
  for (std::size_t k = 0; k < ex.size(); ++k) out[where[k]] = -nll[k];
  return out;
}

std::vector<double> style_priors(const std::vector<std::vector<std::u32string>>& train_names) {
  std::vector<double> p(train_names.size());
  double total = 0;
  for (std::size_t s = 0; s < p.size(); ++s) total += p[s] = static_cast<double>(train_names[s].size());
  for (auto& x : p) x = total > 0 ? x / total : 1.0 / static_cast<double>(p.size());
  return p;
}

std::vector<StyleGuess> classify_names(Ensemble& model, const Vocab& vocab, const std::vector<std::u32string>& names,
                                       const std::vector<double>& priors) {
  const int S = vocab.num_styles();
  std::vector<std::vector<double>> ll(S);
  for (int s = 0; s < S; ++s) ll[s] = log_likelihoods(model, vocab, names, s);
  std::vector<StyleGuess> out(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (std::isnan(ll[0][i])) continue;
    std::vector<double> lp(S);
    double mx = -INFINITY;
    for (int s = 0; s < S; ++s) mx = std::max(mx, lp[s] = ll[s][i] + std::log(std::max(priors[s], 1e-300)));
    double z = 0;
    for (int s = 0; s < S; ++s) z += std::exp(lp[s] - mx);
    out[i].posterior.resize(S);
    for (int s = 0; s < S; ++s) out[i].posterior[s] = std::exp(lp[s] - mx) / z;
    out[i].best = static_cast<int>(std::max_element(lp.begin(), lp.end()) - lp.begin());
  }
  return out;
}

double percentile_of(double x, std::vector<double> reference) {
  if (reference.empty()) return std::numeric_limits<double>::quiet_NaN();
  double below = 0, ties = 0;
  for (double r : reference) below += r < x, ties += r == x;
  return (below + 0.5 * ties) / static_cast<double>(reference.size());
}

std::vector<double> sampled_reference(Ensemble& model, const Vocab& vocab, int style, int n, uint64_t seed) {
  SampleOptions so;
  so.n = n;
  so.style = style;
  so.seed = seed;
  so.max_len = static_cast<int>(kMaxNameLength);
  so.max_attempts = 3LL * n;  // a poor model may rarely end a name: do not chase it
  std::vector<std::u32string> sampled;
  for (auto& s : sample_names(model, vocab, NameSets{}, so)) sampled.push_back(std::move(s.name));
  return log_likelihoods(model, vocab, sampled, style);
}

}  // namespace wuxia
