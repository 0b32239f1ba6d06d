#include "wuxia/infer/sampler.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include "simd_math.hpp"
#include "wuxia/data/names.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/model/rng.hpp"
#include "wuxia/platform/error.hpp"

namespace wuxia {

std::string describe_shortfall(const SampleStats& s, std::size_t got, int wanted) {
  return "only " + std::to_string(got) + " of " + std::to_string(wanted) + " names after " +
         std::to_string(s.attempts) + " attempts (" + std::to_string(s.too_long) + " too long, " +
         std::to_string(s.repeats) + " repeats, " + std::to_string(s.not_novel) + " not novel, " +
         std::to_string(s.words) + " words, " + std::to_string(s.rare_endings) + " rare endings, " +
         std::to_string(s.other_styles) + " of another style)";
}

int default_min_len(const std::vector<std::vector<std::u32string>>& train_names, int style, int max_len) {
  if (style < 0 || style >= static_cast<int>(train_names.size()) || train_names[style].empty()) return 1;
  std::size_t shortest = train_names[style].front().size();
  for (const auto& n : train_names[style]) shortest = std::min(shortest, n.size());
  return static_cast<int>(std::clamp<std::size_t>(shortest, 1, static_cast<std::size_t>(std::max(1, max_len))));
}

SampleOptions list_defaults() {
  SampleOptions o;
  o.temperature = kListTemperature;
  o.top_p = kListTopP;
  return o;
}

int default_max_len(const std::vector<std::vector<std::u32string>>& train_names, int style, int at_least) {
  int longest = SampleOptions{}.max_len;
  if (style >= 0 && style < static_cast<int>(train_names.size()) && !train_names[style].empty()) {
    longest = 0;
    for (const auto& n : train_names[style]) longest = std::max(longest, static_cast<int>(n.size()));
  }
  return std::max(longest, at_least);
}

void apply_length_defaults(SampleOptions& o, const std::vector<std::vector<std::u32string>>& train_names,
                           bool min_given, bool max_given) {
  if (!min_given) o.min_len = default_min_len(train_names, o.style, o.max_len);
  if (!max_given)
    o.max_len = default_max_len(train_names, o.style, std::max(o.min_len, static_cast<int>(o.prefix.size())));
}

uint64_t fresh_seed() {
  static thread_local std::mt19937_64 gen{std::random_device{}()};
  return gen() >> 11;
}

void SampleOptions::validate_flags() const {
  if (n < 0) throw Error("-n must be 0 or more");
  if (!(temperature > 0) || !std::isfinite(temperature)) throw Error("--temperature must be greater than 0");
  if (top_k < 0) throw Error("--top-k must be 0 (off) or more");
  if (!(top_p > 0 && top_p <= 1)) throw Error("--top-p must be in (0, 1]");
  if (min_len < 1) throw Error("--min-len must be at least 1");
  if (max_len < min_len) throw Error("--max-len must be at least --min-len");
  if (max_len > static_cast<int>(kMaxNameLength))
    throw Error("--max-len must be at most " + std::to_string(kMaxNameLength));
  if (static_cast<int>(prefix.size()) > max_len) throw Error("--prefix is longer than --max-len");
  if (batch < 1) throw Error("sampling batch must be at least 1");
  if (!(max_seconds >= 0)) throw Error("sampling time budget must be 0 (none) or more");
}

void SampleOptions::validate(const Vocab& vocab) const {
  validate_flags();
  if (style < 0 || style >= vocab.num_styles()) throw Error("--style: no such style in this model");
  for (char32_t c : prefix) {
    if (vocab.id_of(c) < 0)
      throw Error("--prefix: character '" + utf8::encode(c) + "' is not in the model's vocabulary");
  }
}

namespace {

// Which tokens a pick may return, in the forms the loops below want.
struct Allowed {
  std::vector<char> ok;
  std::vector<float> keep;     // 1 or 0: multiplies a weight
  std::vector<float> penalty;  // 0 or -inf: added to a logit
  int32_t last = -1;           // the highest allowed id; -1 = none
  explicit Allowed(std::vector<char> mask) : ok(std::move(mask)), keep(ok.size()), penalty(ok.size()) {
    for (std::size_t i = 0; i < ok.size(); ++i) {
      keep[i] = ok[i] ? 1.0f : 0.0f;
      penalty[i] = ok[i] ? 0.0f : -INFINITY;
      if (ok[i]) last = static_cast<int32_t>(i);
    }
  }
};

// Reused between picks, so a pick allocates nothing.
struct PickScratch {
  std::vector<int32_t> ids;
  std::vector<double> p;
  std::vector<float> e;
};

// The largest logit of the allowed tokens, over 16 independent running
// maxima (GCC keeps them in registers but will not vectorise a float max
// reduction without -ffinite-math-only).
WUXIA_CPU_CLONES float allowed_max(int v, const float* logits, const float* penalty) {
  constexpr int kLanes = 16;
  float m[kLanes];
  for (int l = 0; l < kLanes; ++l) m[l] = -INFINITY;
  int i = 0;
  for (; i + kLanes <= v; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      const float x = logits[i + l] + penalty[i + l];
      m[l] = x > m[l] ? x : m[l];
    }
  }
  for (; i < v; ++i) {
    const float x = logits[i] + penalty[i];
    m[0] = x > m[0] ? x : m[0];
  }
  float mx = m[0];
  for (int l = 1; l < kLanes; ++l) mx = m[l] > mx ? m[l] : mx;
  return mx;
}

// e[i] = exp((logits[i] - mx) * inv_t) for the allowed tokens, exactly 0 for
// the others; returns their sum. Vectorised (float exp of simd_math.hpp,
// and 16 partial sums in double, combined in a fixed order).
WUXIA_CPU_CLONES double allowed_exp(int v, const float* __restrict logits, const float* __restrict keep, float mx,
                                    float inv_t, float* __restrict e) {
  for (int i = 0; i < v; ++i) e[i] = cpu::simd::exp((logits[i] - mx) * inv_t) * keep[i];
  constexpr int kLanes = 16;
  double s[kLanes] = {};
  int i = 0;
  for (; i + kLanes <= v; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) s[l] += e[i + l];
  }
  for (; i < v; ++i) s[i % kLanes] += e[i];
  double sum = 0;
  for (int l = 0; l < kLanes; ++l) sum += s[l];
  return sum;
}

// The common case, neither top-k nor top-p: no ordering needed, so no sort
// and no list of candidates. The largest allowed logit, the weights
// exp((logit - max) / T), then the walk in id order until the running sum
// passes u * total.
int32_t pick_plain(const float* logits, int v, const Allowed& allowed, double temperature, double u, PickScratch& s) {
  if (allowed.last < 0) return -1;
  const float mx = allowed_max(v, logits, allowed.penalty.data());
  s.e.resize(v);
  const double sum = allowed_exp(v, logits, allowed.keep.data(), mx, static_cast<float>(1.0 / temperature), s.e.data());
  double target = u * sum;
  for (int i = 0; i < v; ++i) {
    target -= s.e[i];  // 0 for a token not allowed: never crosses there
    if (target < 0) return i;
  }
  return allowed.last;  // rounding left a sliver: the last allowed token, as the general path does
}

int32_t pick_ordered(const float* logits, int v, const Allowed& allowed, double temperature, int top_k, double top_p,
                     double u, PickScratch& s) {
  std::vector<int32_t>& ids = s.ids;
  ids.clear();
  for (int i = 0; i < v; ++i) {
    if (allowed.ok[i]) ids.push_back(i);
  }
  if (ids.empty()) return -1;
  // Highest logit first; ties by id, so greedy picks are reproducible.
  auto higher = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  if (top_k == 1) return *std::min_element(ids.begin(), ids.end(), higher);
  if (top_k > 0 && top_k < static_cast<int>(ids.size())) {
    std::partial_sort(ids.begin(), ids.begin() + top_k, ids.end(), higher);
    ids.resize(top_k);
  } else {
    std::sort(ids.begin(), ids.end(), higher);
  }
  const double inv_t = 1.0 / temperature;
  const double mx = static_cast<double>(logits[ids[0]]) * inv_t;
  std::vector<double>& p = s.p;
  p.resize(ids.size());
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

int32_t pick(const float* logits, int v, const Allowed& allowed, double temperature, int top_k, double top_p, double u,
             PickScratch& s) {
  // A temperature so small that 1/T overflows a float (1e-39) would weigh
  // every token NaN; its limit is the greedy pick.
  if (!std::isfinite(static_cast<float>(1.0 / temperature))) top_k = 1;
  if (top_k == 0 && top_p >= 1.0) return pick_plain(logits, v, allowed, temperature, u, s);
  return pick_ordered(logits, v, allowed, temperature, top_k, top_p, u, s);
}

}  // namespace

int32_t pick_token(const float* logits, int v, const std::vector<char>& allowed, double temperature, int top_k,
                   double top_p, double u) {
  PickScratch s;
  return pick(logits, v, Allowed(allowed), temperature, top_k, top_p, u, s);
}

std::vector<SampledName> sample_names(Model<float>& model, const Vocab& vocab, const NameSets& known,
                                      const SampleOptions& opts, SampleStats* stats,
                                      const std::function<void(const SampledName&)>& on_name) {
  Ensemble one(model);
  return sample_names(one, vocab, known, opts, stats, on_name);
}

std::vector<SampledName> sample_names(Ensemble& model, const Vocab& vocab, const NameSets& known,
                                      const SampleOptions& o, SampleStats* stats_out,
                                      const std::function<void(const SampledName&)>& on_name) {
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
  std::vector<char> all(V, 1), no_end(V, 1);
  for (int s = 0; s < vocab.num_styles(); ++s) all[vocab.start_id(s)] = no_end[vocab.start_id(s)] = 0;
  no_end[kEnd] = 0;
  const Allowed allow_all(all), allow_no_end(no_end);

  // Sequence k (0, 1, 2, ...) draws its picks from (seed, k, position), so
  // the batching changes none of its draws, and the batch is kept full of
  // live sequences:
  // - a finished row is dropped from the model's state (infer_select), so no
  //   step computes rows that are done, and a new sequence takes its room;
  // - every sequence begins with the same step (START from a zero state), so
  //   that step runs once per batch step, in one extra "primer" row, and the
  //   sequences started there begin from copies of its state and logits.
  // Names are accepted in sequence order (a finished name waits for the ones
  // started before it): the result is the first n acceptable names of the
  // sequence of sequences.
  struct Row {
    int64_t seq;
    std::u32string name;
  };
  std::vector<Row> rows;                       // live sequences, in model-state order
  std::vector<int32_t> tok, keep;              // next input of each row; rows to carry to the next step
  std::map<int64_t, std::u32string> finished;  // by sequence; "" = too long or empty
  int64_t next_accept = 0;
  PickScratch scratch;
  auto accept_in_order = [&]() {
    for (auto it = finished.begin(); it != finished.end() && it->first == next_accept;
         it = finished.erase(it), ++next_accept) {
      if (static_cast<int>(out.size()) >= o.n) continue;
      const std::u32string& name = it->second;
      if (name.empty()) {
        ++stats.too_long;
        continue;
      }
      const NameOrigin origin = known.origin(name);
      if (o.novel && origin != NameOrigin::New) {
        ++stats.not_novel;
        continue;
      }
      if (o.own_style_only && origin != NameOrigin::New && known.of_another_style(name, o.style)) {
        ++stats.other_styles;
        continue;
      }
      if (o.words && origin == NameOrigin::New && o.words->count(name)) {
        ++stats.words;
        continue;
      }
      if (origin == NameOrigin::New && name.size() >= 2 && o.rare_endings.count(name.back())) {
        ++stats.rare_endings;
        continue;
      }
      if (!seen.insert(name).second) {
        ++stats.repeats;
        continue;
      }
      out.push_back({name, origin});
      if (on_name) on_name(out.back());
    }
  };
  // One step of a sequence given the logits after its last input: forces the
  // prefix or picks the next character. Returns false when the sequence ends
  // (its outcome is then in `finished`).
  auto advance = [&](Row& row, const float* logits, int32_t& next) {
    const int pos = static_cast<int>(row.name.size());  // = steps fed after START, prefix included
    if (pos < plen) {                                   // teacher-force the prefix
      next = prefix_ids[pos];
      row.name.push_back(o.prefix[pos]);
      return true;
    }
    const Allowed& allowed = pos < o.min_len ? allow_no_end : allow_all;
    const double u = rng::uniform_double(o.seed, rng::kSample, static_cast<uint64_t>(row.seq), pos);
    const int32_t id = pick(logits, V, allowed, o.temperature, o.top_k, o.top_p, u, scratch);
    if (id != kEnd && id >= 0 && pos >= o.max_len) row.name.clear();  // wants a character past the limit
    if (id == kEnd || id < 0 || pos >= o.max_len) {
      finished.emplace(row.seq, std::move(row.name));
      return false;
    }
    row.name.push_back(vocab.char_of(id));
    next = id;
    return true;
  };

  // o.batch rows in all, the primer included (a multiple of 16 rows suits the
  // GEMM kernels better than one more), but room for one sequence at least.
  const int rows_max = std::max(1, o.batch - 1);
  model.begin_inference(rows_max + 1);
  const auto t0 = std::chrono::steady_clock::now();
  const auto out_of_time = [&] {
    if (o.max_seconds > 0 && !stats.out_of_time) {
      stats.out_of_time = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > o.max_seconds;
    }
    return stats.out_of_time;
  };
  for (;;) {
    const int64_t missing = o.n - static_cast<int64_t>(out.size());
    const bool no_more = stats.attempts >= max_attempts || out_of_time();
    if (rows.empty() && (missing <= 0 || no_more)) break;
    // Out of time, the sequences under way are dropped too: at a huge
    // temperature with top-p each step sorts the vocabulary for every row.
    if (stats.out_of_time) break;
    // Rows: the live sequences, then the primer (START from a zero state).
    const int primer = static_cast<int>(rows.size());
    model.infer_select(keep, 1);
    tok.push_back(vocab.start_id(o.style));
    const std::vector<float>& logits = model.infer_step(tok);
    keep.clear();
    std::size_t live = 0;
    for (std::size_t r = 0; r < rows.size(); ++r) {
      if (!advance(rows[r], logits.data() + r * V, tok[r])) continue;
      keep.push_back(static_cast<int32_t>(r));
      if (live != r) {
        rows[live] = std::move(rows[r]);
        tok[live] = tok[r];
      }
      ++live;
    }
    rows.resize(live);
    tok.resize(live);
    // New sequences, up to a full batch or twice what is still missing (at
    // least 16) near the end: they take their first step from the primer.
    const int64_t want = std::min<int64_t>(rows_max, std::max<int64_t>(2 * missing, 16));
    const float* primer_logits = logits.data() + static_cast<std::size_t>(primer) * V;
    while (!no_more && missing > 0 && static_cast<int64_t>(rows.size()) < want && stats.attempts < max_attempts) {
      Row row{stats.attempts++, {}};
      int32_t next = 0;
      if (!advance(row, primer_logits, next)) continue;
      rows.push_back(std::move(row));
      tok.push_back(next);
      keep.push_back(primer);
    }
    accept_in_order();
    if (static_cast<int>(out.size()) >= o.n) break;
  }
  accept_in_order();
  if (stats_out) *stats_out = stats;
  return out;
}

}  // namespace wuxia
