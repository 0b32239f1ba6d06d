#pragma once
// Likelihood of names under a model, without dropout: mean NLL per target
// token in nats, END included (DESIGN "Tokens").
#include <cstddef>
#include <vector>

#include "wuxia/batch.hpp"
#include "wuxia/ensemble.hpp"
#include "wuxia/model.hpp"

namespace wuxia {

struct EvalResult {
  double nll_sum = 0;      // nats over all target tokens
  std::size_t tokens = 0;  // target tokens, END included
  std::size_t names = 0;
  double loss() const { return tokens ? nll_sum / static_cast<double>(tokens) : 0.0; }
};

// Evaluates `examples` in length-sorted batches of up to `batch` names.
// When per_name is given it receives each example's total NLL (same order).
template <class T>
EvalResult evaluate(Model<T>& model, const std::vector<Example>& examples, int batch,
                    std::vector<double>* per_name = nullptr);
// The same under an ensemble: each target's NLL is the mixture's,
// mixture_nll of the members' (ensemble.hpp). One member: exactly the above.
EvalResult evaluate(Ensemble& ensemble, const std::vector<Example>& examples, int batch,
                    std::vector<double>* per_name = nullptr);

}  // namespace wuxia
