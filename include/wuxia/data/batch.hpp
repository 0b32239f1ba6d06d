#pragma once
// Training examples and time-major, length-bucketed batches (DESIGN "Batches").
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "wuxia/data/vocab.hpp"

namespace wuxia {

// A name as tokens: [START_style, c1, .., cn]. Input is seq, target is
// seq[1..] followed by END, so T = n + 1.
struct Example {
  std::vector<int32_t> seq;
  int steps() const { return static_cast<int>(seq.size()); }
};

// Encodes a name; returns false (and leaves `out` untouched) when a character
// is outside the vocabulary.
bool encode_name(const Vocab& vocab, int style, const std::u32string& name, Example& out);

struct Batch {
  int T = 0;                     // steps (longest example)
  int B = 0;                     // examples
  std::vector<int32_t> tokens;   // [T][B]
  std::vector<int32_t> targets;  // [T][B], -1 on padding
  std::vector<int32_t> lengths;  // [B]
  std::size_t num_targets = 0;   // valid (non-padding) targets
};

// Packs examples[idx[0..]] time-major; padding tokens are END, padding targets -1.
Batch make_batch(const std::vector<Example>& examples, const std::vector<std::size_t>& idx);

// Serves the batches of an endless sequence of epochs. Each epoch shuffles
// the examples (keyed by seed and epoch), stable-sorts them by length so a
// batch holds names of (nearly) one length, cuts batches of `batch_size`, and
// shuffles the batch order. Batch number k is a pure function of
// (examples, batch_size, seed, k): a resumed run sees what an uninterrupted one would.
class Batcher {
 public:
  Batcher(const std::vector<Example>& examples, int batch_size, uint64_t seed);
  std::size_t batches_per_epoch() const { return nb_; }
  // No batch is larger than max_steps() x batch_size() (T x B).
  int max_steps() const { return max_steps_; }
  int batch_size() const { return batch_size_; }
  // Batch number k (0-based, counting across epochs).
  Batch batch(uint64_t k);

 private:
  void plan_epoch(uint64_t epoch);
  const std::vector<Example>& examples_;
  int batch_size_;
  uint64_t seed_;
  std::size_t nb_;
  int max_steps_ = 0;
  uint64_t planned_epoch_ = UINT64_MAX;
  std::vector<std::size_t> order_;        // examples, bucketed
  std::vector<std::size_t> batch_order_;  // which chunk of order_ is batch i
};

// Deterministic shuffle of 0..n-1 keyed by (seed, purpose, step).
std::vector<std::size_t> permutation(std::size_t n, uint64_t seed, uint32_t purpose, uint64_t step);

}  // namespace wuxia
