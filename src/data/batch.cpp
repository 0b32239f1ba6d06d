#include "wuxia/data/batch.hpp"

#include <algorithm>
#include <numeric>

#include "wuxia/model/rng.hpp"
#include "wuxia/platform/error.hpp"

namespace wuxia {

bool encode_name(const Vocab& vocab, int style, const std::u32string& name, Example& out) {
  std::vector<int32_t> seq;
  seq.reserve(name.size() + 1);
  seq.push_back(vocab.start_id(style));
  for (char32_t c : name) {
    const int32_t id = vocab.id_of(c);
    if (id < 0) return false;
    seq.push_back(id);
  }
  out.seq = std::move(seq);
  return true;
}

Batch make_batch(const std::vector<Example>& examples, const std::vector<std::size_t>& idx) {
  Batch b;
  b.B = static_cast<int>(idx.size());
  for (auto i : idx) b.T = std::max(b.T, examples[i].steps());
  const std::size_t n = static_cast<std::size_t>(b.T) * b.B;
  b.tokens.assign(n, kEnd);
  b.targets.assign(n, -1);
  b.lengths.resize(b.B);
  for (int j = 0; j < b.B; ++j) {
    const auto& seq = examples[idx[j]].seq;
    const int len = static_cast<int>(seq.size());
    b.lengths[j] = len;
    for (int t = 0; t < len; ++t) {
      b.tokens[static_cast<std::size_t>(t) * b.B + j] = seq[t];
      b.targets[static_cast<std::size_t>(t) * b.B + j] = t + 1 < len ? seq[t + 1] : kEnd;
    }
    b.num_targets += len;
  }
  return b;
}

std::vector<std::size_t> permutation(std::size_t n, uint64_t seed, uint32_t purpose, uint64_t step) {
  std::vector<std::size_t> p(n);
  std::iota(p.begin(), p.end(), std::size_t{0});
  for (std::size_t i = n; i > 1; --i) {  // Fisher-Yates
    std::swap(p[i - 1], p[rng::below(i, seed, purpose, step, i)]);
  }
  return p;
}

Batcher::Batcher(const std::vector<Example>& examples, int batch_size, uint64_t seed)
    : examples_(examples), batch_size_(batch_size), seed_(seed) {
  if (examples.empty()) throw Error("no training examples");
  if (batch_size < 1) throw Error("batch size must be at least 1");
  nb_ = (examples.size() + batch_size - 1) / batch_size;
  for (const Example& e : examples) max_steps_ = std::max(max_steps_, e.steps());
}

void Batcher::plan_epoch(uint64_t epoch) {
  order_ = permutation(examples_.size(), seed_, rng::kShuffle, epoch);
  std::stable_sort(order_.begin(), order_.end(),
                   [&](std::size_t a, std::size_t b) { return examples_[a].steps() < examples_[b].steps(); });
  batch_order_ = permutation(nb_, seed_, rng::kBatchOrder, epoch);
  planned_epoch_ = epoch;
}

Batch Batcher::batch(uint64_t k) {
  const uint64_t epoch = k / nb_;
  if (epoch != planned_epoch_) plan_epoch(epoch);
  const std::size_t chunk = batch_order_[k % nb_];
  const std::size_t begin = chunk * batch_size_;
  const std::size_t end = std::min(examples_.size(), begin + batch_size_);
  std::vector<std::size_t> idx(order_.begin() + begin, order_.begin() + end);
  return make_batch(examples_, idx);
}

}  // namespace wuxia
