#include "wuxia/infer/evaluate.hpp"

#include <algorithm>
#include <numeric>

#include "wuxia/data/utf8.hpp"

namespace wuxia {

namespace {

// The one evaluation loop, over the members of a mixture (one for a plain model).
template <class T>
EvalResult evaluate_members(const std::vector<Model<T>*>& members, const std::vector<Example>& examples, int batch,
                            std::vector<double>* per_name) {
  EvalResult r;
  std::vector<std::size_t> order(examples.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return examples[a].steps() < examples[b].steps(); });
  if (per_name) per_name->assign(examples.size(), 0.0);
  const int n = static_cast<int>(members.size());
  const bool want_rows = per_name || n > 1;
  std::vector<std::vector<T>> rows(n);
  std::vector<double> mixed, nll(n);
  const std::size_t bsz = static_cast<std::size_t>(std::max(1, batch));
  for (std::size_t i = 0; i < order.size(); i += bsz) {
    std::vector<std::size_t> idx(order.begin() + i, order.begin() + std::min(order.size(), i + bsz));
    const Batch b = make_batch(examples, idx);
    double sum = 0;
    for (int m = 0; m < n; ++m) sum = members[m]->forward(b, StepOptions{}, want_rows ? &rows[m] : nullptr);
    // One member: its own sum (the model's number to the bit). Several: the
    // mixture per target, from the members' per-target NLLs (0 on padding).
    if (want_rows) {
      mixed.resize(rows[0].size());
      double mix_sum = 0;
      for (std::size_t k = 0; k < mixed.size(); ++k) {
        for (int m = 0; m < n; ++m) nll[m] = static_cast<double>(rows[m][k]);
        mix_sum += mixed[k] = n > 1 && b.targets[k] < 0 ? 0.0 : mixture_nll(nll.data(), n);
      }
      if (n > 1) sum = mix_sum;
    }
    r.nll_sum += sum;
    r.tokens += b.num_targets;
    r.names += idx.size();
    if (per_name) {
      for (int t = 0; t < b.T; ++t) {
        for (int j = 0; j < b.B; ++j) (*per_name)[idx[j]] += mixed[static_cast<std::size_t>(t) * b.B + j];
      }
    }
  }
  return r;
}

}  // namespace

template <class T>
EvalResult evaluate(Model<T>& model, const std::vector<Example>& examples, int batch, std::vector<double>* per_name) {
  return evaluate_members<T>({&model}, examples, batch, per_name);
}

EvalResult evaluate(Ensemble& ensemble, const std::vector<Example>& examples, int batch,
                    std::vector<double>* per_name) {
  return evaluate_members<float>(ensemble.members(), examples, batch, per_name);
}

template EvalResult evaluate<float>(Model<float>&, const std::vector<Example>&, int, std::vector<double>*);
template EvalResult evaluate<double>(Model<double>&, const std::vector<Example>&, int, std::vector<double>*);

EvalNames eval_names(const Vocab& vocab, const std::vector<DataSpec>& files, int style, int fallback_style,
                     const ScriptConverter* convert) {
  EvalNames out;
  for (const DataSpec& spec : files) {
    const int stem_style = vocab.style_index(spec.style);
    const int s = style >= 0 ? style : stem_style >= 0 ? stem_style : fallback_style;
    NameFile f = load_name_file(spec.path, spec.style);
    if (convert) f = convert_names(std::move(f), *convert);
    out.duplicates += f.duplicates;
    for (const auto& n : f.names) {
      Example e;
      if (encode_name(vocab, s, n, e)) {
        out.examples.push_back(std::move(e));
      } else {
        ++out.skipped;
        if (out.skipped_examples.size() < 5) out.skipped_examples.push_back(utf8::encode(n));
      }
    }
  }
  return out;
}

}  // namespace wuxia
