// One training step on two backends, compared (include/wuxia/model/step_compare.hpp).
#include "wuxia/model/step_compare.hpp"

#include <algorithm>

namespace wuxia {
namespace {

std::string shape_of(const ParamInfo& p) {
  std::string s = "[";
  for (std::size_t i = 0; i < p.shape.size(); ++i) s += (i ? ", " : "") + std::to_string(p.shape[i]);
  return s + "]";
}

void per_tensor(StepComparison& c, StepFigure::Kind kind, const std::string& prefix, const ParamLayout& layout,
                const std::vector<float>& got, const std::vector<float>& ref, const Tolerance& tol, bool shapes) {
  for (const auto& e : layout.entries()) {
    c.figures.push_back({kind, prefix + e.name + (shapes ? " " + shape_of(e) : ""),
                         compare(got.data() + e.offset, ref.data() + e.offset, e.size, tol)});
  }
}

}  // namespace

bool StepComparison::ok() const {
  return std::all_of(figures.begin(), figures.end(), [](const StepFigure& f) { return f.diff.ok(); });
}

StepComparison compare_training_step(Model<float>& ref, Model<float>& other, const Batch& batch, StepOptions so,
                                     const AdamWArgs& a, const Tolerance& tol, const StepCompareOptions& opts) {
  using K = StepFigure::Kind;
  StepComparison c;
  const ParamLayout& layout = ref.layout();
  const double targets = static_cast<double>(batch.num_targets);

  // Logits first: the backward pass overwrites them with their gradient.
  so.backward = false;
  ref.forward(batch, so);
  c.loss_other_first = other.forward(batch, so) / targets;
  const std::vector<float> lr = ref.get_logits(), lo = other.get_logits();

  so.backward = true;
  double norm_ref = 0, norm_other = 0;
  if (opts.free_run) {
    // The training path itself: forward, backward and the optimizer step in
    // one train_step; its gradients stay in grads() for the checks below.
    ref.train_step(batch, so, a);
    other.train_step(batch, so, a);
    const Model<float>::StepLog r = ref.take_step_log().at(0), o = other.take_step_log().at(0);
    c.loss_ref = r.nll / targets;
    c.loss_other = o.nll / targets;
    norm_ref = r.grad_norm;
    norm_other = o.grad_norm;
  } else {
    c.loss_ref = ref.forward(batch, so) / targets;
    c.loss_other = other.forward(batch, so) / targets;
  }
  c.figures.push_back({K::Loss, "loss", compare(&c.loss_other, &c.loss_ref, 1, tol)});
  c.figures.push_back({K::Logits, "logits", compare(lo, lr, tol)});

  const std::vector<float> gr = ref.get_grads(), go = other.get_grads();
  per_tensor(c, K::Grad, "grad ", layout, go, gr, tol, true);
  if (!opts.free_run) {
    other.grads().upload(gr.data(), gr.size());
    ref.optimizer_step(a);
    other.optimizer_step(a);
    norm_ref = ref.last_grad_norm();
    norm_other = other.last_grad_norm();
  }
  c.figures.push_back({K::GradNorm, "gradient norm", compare(&norm_other, &norm_ref, 1, tol)});
  per_tensor(c, K::Param, "", layout, other.get_params(), ref.get_params(), tol, false);
  if (opts.moments) {
    for (int k : {0, 1}) {
      per_tensor(c, K::Moment, "moment " + std::to_string(k + 1) + " ", layout, other.get_moment(k), ref.get_moment(k),
                 tol, false);
    }
  }
  return c;
}

}  // namespace wuxia
