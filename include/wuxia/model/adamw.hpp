#pragma once
// AdamW's hyper-parameters and one step's scalars: what Backend::adamw_step
// (backend.hpp) and its kernel (kernels/adamw.cu) read. A header of its own so
// that the kernels need not include the virtual backend interface.
#include <cmath>

namespace wuxia {

// Hyper-parameters of one AdamW step (decoupled weight decay, as torch.optim.AdamW).
struct AdamWArgs {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  long long step = 1;  // 1-based, for bias correction
  double clip = 0.0;   // global-norm clip threshold; 0 = no clipping
  // Not AdamW's, but applied by Model around it (Backend::axpby), where the
  // model holds the buffers they need (Model::set_anchor, set_average):
  double l2sp = 0.0;       // before the update: param -= lr * l2sp * (param - anchor) (decoupled, as weight decay)
  double ema_decay = 0.0;  // after it: average = ema_decay * average + (1 - ema_decay) * param
  // The elements Backend::adamw_step's `base` mask marks step with
  // lr * marked_rows_lr, the rest with lr: a fine-tune's base rows slowed
  // (--base-rows-lr, below 1) or its new styles' START rows sped up
  // (--new-styles-lr, above 1).
  double marked_rows_lr = 1.0;
};

// One AdamW step's scalars as the update uses them, rounded to T once, on the
// host, where torch.optim.AdamW rounds them: both backends then use exactly
// these values. Lives in backend memory (see the top of this file).
template <class T>
struct AdamWScalars {
  T b1, b2, eps;
  T decay;      // 1 - lr * weight_decay
  T step_size;  // lr / (1 - beta1^step)
  T bc2_sqrt;   // sqrt(1 - beta2^step)
  // The same two for the elements the `base` mask marks, from lr * marked_rows_lr
  // (as a torch param group of that lr would round them).
  T decay_base, step_size_base;
  double clip;  // global-norm clip threshold; <= 0: no clipping

  static AdamWScalars from(const AdamWArgs& a) {
    AdamWScalars s;
    s.b1 = static_cast<T>(a.beta1);
    s.b2 = static_cast<T>(a.beta2);
    s.eps = static_cast<T>(a.eps);
    s.decay = static_cast<T>(1.0 - a.lr * a.weight_decay);
    s.step_size = static_cast<T>(a.lr / (1.0 - std::pow(a.beta1, static_cast<double>(a.step))));
    s.bc2_sqrt = static_cast<T>(std::sqrt(1.0 - std::pow(a.beta2, static_cast<double>(a.step))));
    const double base_lr = a.lr * a.marked_rows_lr;
    s.decay_base = static_cast<T>(1.0 - base_lr * a.weight_decay);
    s.step_size_base = static_cast<T>(base_lr / (1.0 - std::pow(a.beta1, static_cast<double>(a.step))));
    s.clip = a.clip;
    return s;
  }
};

}  // namespace wuxia
