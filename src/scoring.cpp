#include "wuxia/scoring.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "wuxia/error.hpp"
#include "wuxia/evaluate.hpp"
#include "wuxia/utf8.hpp"

namespace wuxia {

std::vector<double> log_likelihoods(Model<float>& model, const Vocab& vocab, const std::vector<std::u32string>& names,
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

std::vector<StyleGuess> classify_names(Model<float>& model, const Vocab& vocab,
                                       const std::vector<std::u32string>& names, const std::vector<double>& priors) {
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

std::vector<NameSuggestion> suggest_names(Model<float>& model, const Vocab& vocab, const NameSets& known,
                                          const NameSearch& q) {
  if (q.surname.empty()) throw Error("--surname is empty");
  if (q.given_len < 1 || q.given_len > 8) throw Error("--given-len must be in 1..8");
  if (q.n < 1) throw Error("-n must be at least 1");
  if (q.style < 0 || q.style >= vocab.num_styles()) throw Error("--style: no such style in this model");
  std::vector<int32_t> prefix{vocab.start_id(q.style)};
  for (char32_t c : q.surname) {
    const int32_t id = vocab.id_of(c);
    if (id < 0) throw Error("--surname: character '" + utf8::encode(c) + "' is not in the model's vocabulary");
    prefix.push_back(id);
  }
  const int V = vocab.size();
  const int width = q.beam > 0 ? q.beam : std::max(64, 4 * q.n);
  std::vector<char> allowed(V, 0);
  for (int id = 1 + vocab.num_styles(); id < V; ++id) allowed[id] = !q.exclude.count(vocab.char_of(id));

  // Runs every sequence of `seqs` (same length) and returns log-softmax of the
  // next-token logits, [seqs.size()][V]. Names are a handful of characters:
  // re-running the prefix is cheaper than reordering recurrent state.
  auto next_log_probs = [&](const std::vector<std::vector<int32_t>>& seqs) {
    const int b = static_cast<int>(seqs.size());
    model.begin_inference(b);
    std::vector<int32_t> tok(b);
    const std::vector<float>* logits = nullptr;
    for (std::size_t t = 0; t < seqs[0].size(); ++t) {
      for (int r = 0; r < b; ++r) tok[r] = seqs[r][t];
      logits = &model.infer_step(tok);
    }
    std::vector<std::vector<double>> lp(b, std::vector<double>(V));
    for (int r = 0; r < b; ++r) {
      const float* x = logits->data() + static_cast<std::size_t>(r) * V;
      double mx = -INFINITY, z = 0;
      for (int j = 0; j < V; ++j) mx = std::max(mx, static_cast<double>(x[j]));
      for (int j = 0; j < V; ++j) z += std::exp(x[j] - mx);
      const double lse = mx + std::log(z);
      for (int j = 0; j < V; ++j) lp[r][j] = x[j] - lse;
    }
    return lp;
  };

  // The surname's own likelihood is the same for every candidate but is part
  // of log P(name), so it is carried along.
  double surname_lp = 0;
  for (std::size_t t = 1; t < prefix.size(); ++t) {
    std::vector<int32_t> head(prefix.begin(), prefix.begin() + static_cast<std::ptrdiff_t>(t));
    surname_lp += next_log_probs({head})[0][prefix[t]];
  }
  struct Beam {
    std::vector<int32_t> seq;
    double lp;
  };
  std::vector<Beam> beams{{prefix, surname_lp}};
  for (int depth = 0; depth < q.given_len; ++depth) {
    std::vector<std::vector<int32_t>> seqs;
    for (const auto& b : beams) seqs.push_back(b.seq);
    const auto lp = next_log_probs(seqs);
    std::vector<Beam> next;
    for (std::size_t r = 0; r < beams.size(); ++r) {
      for (int id = 0; id < V; ++id) {
        if (!allowed[id]) continue;
        Beam nb{beams[r].seq, beams[r].lp + lp[r][id]};
        nb.seq.push_back(id);
        next.push_back(std::move(nb));
      }
    }
    const std::size_t keep = std::min<std::size_t>(next.size(), width);
    std::partial_sort(next.begin(), next.begin() + static_cast<std::ptrdiff_t>(keep), next.end(),
                      [](const Beam& a, const Beam& b) { return a.lp > b.lp; });
    next.resize(keep);
    beams = std::move(next);
    if (beams.empty()) return {};
  }
  std::vector<std::vector<int32_t>> seqs;
  for (const auto& b : beams) seqs.push_back(b.seq);
  const auto lp_end = next_log_probs(seqs);
  std::vector<NameSuggestion> out;
  for (std::size_t r = 0; r < beams.size(); ++r) {
    NameSuggestion s;
    for (std::size_t t = 1; t < beams[r].seq.size(); ++t) s.name.push_back(vocab.char_of(beams[r].seq[t]));
    s.log_prob = beams[r].lp + lp_end[r][kEnd];
    if (known.origin(s.name) != NameOrigin::New) continue;
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const NameSuggestion& a, const NameSuggestion& b) {
    return a.log_prob > b.log_prob || (a.log_prob == b.log_prob && a.name < b.name);
  });
  if (static_cast<int>(out.size()) > q.n) out.resize(q.n);
  return out;
}

}  // namespace wuxia
