#include "wuxia/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "wuxia/error.hpp"
#include "wuxia/names.hpp"
#include "wuxia/rng.hpp"
#include "wuxia/utf8.hpp"

namespace wuxia {

const char* origin_label(NameOrigin o) {
  switch (o) {
    case NameOrigin::Train: return "train";
    case NameOrigin::Val: return "val";
    default: return "new";
  }
}

void SampleOptions::validate(const Vocab& vocab) const {
  if (n < 0) throw Error("-n must be 0 or more");
  if (!(temperature > 0) || !std::isfinite(temperature)) throw Error("--temperature must be greater than 0");
  if (top_k < 0) throw Error("--top-k must be 0 (off) or more");
  if (!(top_p > 0 && top_p <= 1)) throw Error("--top-p must be in (0, 1]");
  if (min_len < 1) throw Error("--min-len must be at least 1");
  if (max_len < min_len) throw Error("--max-len must be at least --min-len");
  if (max_len > static_cast<int>(kMaxNameLength)) throw Error("--max-len must be at most " + std::to_string(kMaxNameLength));
  if (static_cast<int>(prefix.size()) > max_len) throw Error("--prefix is longer than --max-len");
  if (style < 0 || style >= vocab.num_styles()) throw Error("--style: no such style in this model");
  for (char32_t c : prefix) {
    if (vocab.id_of(c) < 0) throw Error("--prefix: character '" + utf8::encode(c) + "' is not in the model's vocabulary");
  }
  if (batch < 1) throw Error("sampling batch must be at least 1");
}

int32_t pick_token(const float* logits, int v, const std::vector<char>& allowed, double temperature, int top_k,
                   double top_p, double u) {
  std::vector<int32_t> ids;
  ids.reserve(v);
  for (int i = 0; i < v; ++i) {
    if (allowed[i]) ids.push_back(i);
  }
  if (ids.empty()) return -1;
  // Highest logit first; ties by id, so greedy picks are reproducible.
  auto higher = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  if (top_k == 1) return *std::min_element(ids.begin(), ids.end(), higher);
  const bool need_order = top_k > 0 || top_p < 1.0;
  if (top_k > 0 && top_k < static_cast<int>(ids.size())) {
    std::partial_sort(ids.begin(), ids.begin() + top_k, ids.end(), higher);
    ids.resize(top_k);
  } else if (need_order) {
    std::sort(ids.begin(), ids.end(), higher);
  }
  const double inv_t = 1.0 / temperature;
  double mx = -INFINITY;
  for (auto i : ids) mx = std::max(mx, static_cast<double>(logits[i]) * inv_t);
  std::vector<double> p(ids.size());
  double sum = 0;
  for (std::size_t k = 0; k < ids.size(); ++k) sum += p[k] = std::exp(static_cast<double>(logits[ids[k]]) * inv_t - mx);
  std::size_t keep = ids.size();
  if (top_p < 1.0) {  // smallest prefix (in order of probability) holding top_p of the mass
    double acc = 0;
    for (std::size_t k = 0; k < ids.size(); ++k) {
      acc += p[k] / sum;
      if (acc >= top_p) {
        keep = k + 1;
        break;
      }
    }
    sum = std::accumulate(p.begin(), p.begin() + keep, 0.0);
  }
  double target = u * sum;
  for (std::size_t k = 0; k < keep; ++k) {
    target -= p[k];
    if (target < 0) return ids[k];
  }
  return ids[keep - 1];
}

std::vector<SampledName> sample_names(Model<float>& model, const Vocab& vocab, const NameSets& known,
                                      const SampleOptions& o, SampleStats* stats_out) {
  o.validate(vocab);
  SampleStats stats;
  std::vector<SampledName> out;
  std::unordered_set<std::u32string> seen;
  const int V = vocab.size();
  const int64_t max_attempts = o.max_attempts > 0 ? o.max_attempts : 100LL * o.n + 1000;
  std::vector<int32_t> prefix_ids;
  for (char32_t c : o.prefix) prefix_ids.push_back(vocab.id_of(c));
  const int plen = static_cast<int>(prefix_ids.size());

  // Masks: no START token is ever a prediction; END only once min_len is reached.
  std::vector<char> allow_all(V, 1), allow_no_end(V, 1);
  for (int s = 0; s < vocab.num_styles(); ++s) allow_all[vocab.start_id(s)] = allow_no_end[vocab.start_id(s)] = 0;
  allow_no_end[kEnd] = 0;

  while (static_cast<int>(out.size()) < o.n && stats.attempts < max_attempts) {
    const int64_t want = std::min<int64_t>(max_attempts - stats.attempts,
                                           std::max<int64_t>(2 * (o.n - static_cast<int64_t>(out.size())), 16));
    const int b = static_cast<int>(std::min<int64_t>(o.batch, want));
    const int64_t base = stats.attempts;
    stats.attempts += b;
    model.begin_inference(b);
    std::vector<int32_t> tok(b, vocab.start_id(o.style));
    std::vector<std::u32string> names(b);
    std::vector<char> done(b, 0), too_long(b, 0);
    for (int pos = 0;; ++pos) {
      const std::vector<float>& logits = model.infer_step(tok);
      if (pos < plen) {  // teacher-force the prefix
        std::fill(tok.begin(), tok.end(), prefix_ids[pos]);
        for (auto& n : names) n.push_back(o.prefix[pos]);
        continue;
      }
      bool any = false;
      for (int r = 0; r < b; ++r) {
        if (done[r]) continue;
        const int len = static_cast<int>(names[r].size());
        const auto& allowed = len < o.min_len ? allow_no_end : allow_all;
        const double u = rng::uniform_double(o.seed, rng::kSample, static_cast<uint64_t>(base + r), pos);
        const int32_t id = pick_token(logits.data() + static_cast<std::size_t>(r) * V, V, allowed, o.temperature,
                                      o.top_k, o.top_p, u);
        if (id == kEnd || id < 0) {
          done[r] = 1;
          tok[r] = kEnd;
          continue;
        }
        if (len >= o.max_len) {  // wants a character past the limit
          done[r] = too_long[r] = 1;
          continue;
        }
        names[r].push_back(vocab.char_of(id));
        tok[r] = id;
        any = true;
      }
      if (!any) break;
    }
    for (int r = 0; r < b && static_cast<int>(out.size()) < o.n; ++r) {
      if (too_long[r] || names[r].empty()) {
        ++stats.too_long;
        continue;
      }
      const NameOrigin origin = known.origin(names[r]);
      if (o.novel && origin != NameOrigin::New) {
        ++stats.not_novel;
        continue;
      }
      if (!seen.insert(names[r]).second) {
        ++stats.repeats;
        continue;
      }
      out.push_back({names[r], origin});
    }
  }
  if (stats_out) *stats_out = stats;
  return out;
}

}  // namespace wuxia
