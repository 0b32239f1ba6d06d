#pragma once
// Likelihood of names under a model, without dropout: mean NLL per target
// token in nats, END included (DESIGN "Tokens").
#include <cstddef>
#include <string>
#include <vector>

#include "wuxia/data/batch.hpp"
#include "wuxia/data/convert.hpp"
#include "wuxia/data/names.hpp"
#include "wuxia/data/vocab.hpp"
#include "wuxia/infer/ensemble.hpp"
#include "wuxia/model/model.hpp"

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

// Name files made into examples for evaluate(): each file's names in
// `style` when it is 0 or more, else in the style of the file's stem when the
// model has one so named, else in `fallback_style`. A name with a character
// outside the vocabulary is skipped and counted. `convert` (null for none)
// converts the names read.
struct EvalNames {
  std::vector<Example> examples;
  std::size_t skipped = 0;                    // names with a character outside the vocabulary
  std::size_t duplicates = 0;                 // dropped by the name-file reader
  std::vector<std::string> skipped_examples;  // the first five skipped, for the message
};
EvalNames eval_names(const Vocab& vocab, const std::vector<DataSpec>& files, int style, int fallback_style,
                     const ScriptConverter* convert);

}  // namespace wuxia
