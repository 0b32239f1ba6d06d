#pragma once
// Sampling names from a trained model, a batch of sequences at a time.
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "wuxia/data/names.hpp"
#include "wuxia/data/vocab.hpp"
#include "wuxia/infer/ensemble.hpp"
#include "wuxia/model/model.hpp"

namespace wuxia {

struct SampleOptions {
  int n = 20;                // distinct names wanted
  double temperature = 1.0;  // > 0
  int top_k = 0;             // 0 = off; 1 = greedy
  double top_p = 1.0;        // nucleus, in (0, 1]
  std::u32string prefix;     // forced first characters
  int style = 0;
  int min_len = 1;     // name length in characters, prefix included
  int max_len = 16;    // a sample that would run longer is discarded
  bool novel = false;  // discard names in the training or validation set
  // Words that are not names (naming/words.hpp: 海岛, 东西), discarded unless
  // in the training or validation set; nullptr = none. Not owned: it must
  // outlive sample_names.
  const std::unordered_set<std::u32string>* words = nullptr;
  // Last characters that cut a new name short or end it in a surname
  // (naming/endings.hpp: 张小, 文何); a new name of two characters or more
  // ending in one is discarded. Empty = none.
  std::unordered_set<char32_t> rare_endings;
  // Discard a name the model learnt as another style's and not as this
  // one's (NameSets::of_another_style): a Jin Yong list does not offer Gu
  // Long's 阿飞, though the model, trained on both, may spell it. On for
  // every list (`wuxia sample`, the page); scores sample with no known names.
  bool own_style_only = true;
  uint64_t seed = 1;
  int batch = 256;           // sequences decoded together
  int64_t max_attempts = 0;  // 0 = 100 * n + 1000
  // 0 = none; else sampling stops after this many seconds (a server's
  // bound on one request: at a huge temperature nearly every attempt runs
  // to max_len and is refused, and 100 * n + 1000 of them take minutes).
  double max_seconds = 0;
  void validate_flags() const;              // throws wuxia::Error naming the flag
  void validate(const Vocab& vocab) const;  // the flags, then prefix and style against the vocabulary
};

// Where `wuxia sample` and the page's list of invented names start: cooler
// and narrower than the model's own distribution (1.0, 1.0), which invents
// more broken names (docs/QUALITY.md, "Sampling defaults": the table of
// scripts/sample_sweep.py and a reading). Scores and percentiles keep
// SampleOptions' own 1.0: they measure the model, not a list.
inline constexpr double kListTemperature = 0.8, kListTopP = 0.9;
SampleOptions list_defaults();

// The default --max-len of a style: the length of its longest training name
// (SampleOptions' 16 when it has none), never below `at_least` (the --min-len
// and the --prefix asked for): a cast's names are 2 to 6 characters, and a
// longer sample is a run-on (玄寂禅师松).
int default_max_len(const std::vector<std::vector<std::u32string>>& train_names, int style, int at_least);

// Sets o.min_len and o.max_len where they were not given to the style's
// defaults below (o.style set), as `wuxia sample` and /api/sample do.
void apply_length_defaults(SampleOptions& o, const std::vector<std::vector<std::u32string>>& train_names,
                           bool min_given, bool max_given);

// The default --min-len of a style: the length of its shortest training name
// (1 when it has none), never above `max_len`. The casts have no name of one
// character, so a model of them is not asked for a bare surname (李).
int default_min_len(const std::vector<std::vector<std::u32string>>& train_names, int style, int max_len);

// A seed for a list nobody gave one: fresh each call (std::random_device),
// and below 2^53, so that a page (JavaScript numbers) can send it back
// exactly to make the same list again.
uint64_t fresh_seed();

struct SampledName {
  std::u32string name;
  NameOrigin origin = NameOrigin::New;
};

struct SampleStats {
  int64_t attempts = 0;      // sequences decoded
  int64_t too_long = 0;      // ran past max_len
  int64_t repeats = 0;       // already sampled
  int64_t not_novel = 0;     // in train or val, with --novel
  int64_t words = 0;         // a word, not a name (SampleOptions::words)
  int64_t rare_endings = 0;  // ends as almost no real name ends (SampleOptions::rare_endings)
  int64_t other_styles = 0;  // another style's name (SampleOptions::own_style_only)
  bool out_of_time = false;  // stopped at max_seconds
};

// "only 3 of 20 names after 5000 attempts (4000 too long, 900 repeats, 90
// not novel, 7 words, 2 rare endings, 1 of another style)": why a list fell
// short, as `wuxia sample` and the page say it.
std::string describe_shortfall(const SampleStats& stats, std::size_t got, int wanted);

// Picks a token from one row of logits [v]; `u` is uniform in [0, 1).
// `allowed` (size v) masks tokens out. Applies temperature, top-k, top-p.
int32_t pick_token(const float* logits, int v, const std::vector<char>& allowed, double temperature, int top_k,
                   double top_p, double u);

// Samples up to opts.n distinct names (fewer when max_attempts runs out;
// stats says why) from the ensemble's next-character distribution.
// Deterministic in (members, opts); one member samples as the model itself. `on_name`, when given, is
// called with each name as soon as it is accepted (a caller that prints them
// keeps what was made if it is stopped).
std::vector<SampledName> sample_names(Ensemble& model, const Vocab& vocab, const NameSets& known,
                                      const SampleOptions& opts, SampleStats* stats = nullptr,
                                      const std::function<void(const SampledName&)>& on_name = {});
// One model: the ensemble of it alone.
std::vector<SampledName> sample_names(Model<float>& model, const Vocab& vocab, const NameSets& known,
                                      const SampleOptions& opts, SampleStats* stats = nullptr,
                                      const std::function<void(const SampledName&)>& on_name = {});

}  // namespace wuxia
