#include "wuxia/evaluate.hpp"

#include <algorithm>
#include <numeric>

namespace wuxia {

template <class T>
EvalResult evaluate(Model<T>& model, const std::vector<Example>& examples, int batch, std::vector<double>* per_name) {
  EvalResult r;
  std::vector<std::size_t> order(examples.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return examples[a].steps() < examples[b].steps(); });
  if (per_name) per_name->assign(examples.size(), 0.0);
  std::vector<T> rows;
  const std::size_t bsz = static_cast<std::size_t>(std::max(1, batch));
  for (std::size_t i = 0; i < order.size(); i += bsz) {
    std::vector<std::size_t> idx(order.begin() + i, order.begin() + std::min(order.size(), i + bsz));
    const Batch b = make_batch(examples, idx);
    r.nll_sum += model.forward(b, StepOptions{}, per_name ? &rows : nullptr);
    r.tokens += b.num_targets;
    r.names += idx.size();
    if (per_name) {
      for (int t = 0; t < b.T; ++t) {
        for (int j = 0; j < b.B; ++j)
          (*per_name)[idx[j]] += static_cast<double>(rows[static_cast<std::size_t>(t) * b.B + j]);
      }
    }
  }
  return r;
}

template EvalResult evaluate<float>(Model<float>&, const std::vector<Example>&, int, std::vector<double>*);
template EvalResult evaluate<double>(Model<double>&, const std::vector<Example>&, int, std::vector<double>*);

}  // namespace wuxia
