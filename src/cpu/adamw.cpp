#include <algorithm>
#include <cmath>
#include <vector>

#include "wuxia/cpu_backend.hpp"

namespace wuxia::cpu {

template <class T>
void grad_norm(std::size_t n, const T* x, T* out) {
  // Fixed-size chunks, each summed in order, then the chunk sums in order:
  // the same bits for any thread count.
  constexpr std::size_t kChunk = 8192;
  const std::size_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> part(chunks);
#pragma omp parallel for schedule(static) if (chunks > 4)
  for (std::size_t c = 0; c < chunks; ++c) {
    double s = 0;
    const std::size_t end = std::min(n, (c + 1) * kChunk);
    for (std::size_t i = c * kChunk; i < end; ++i) s += static_cast<double>(x[i]) * x[i];
    part[c] = s;
  }
  double total = 0;
  for (double s : part) total += s;
  out[0] = static_cast<T>(std::sqrt(total));
}

template <class T>
void adamw_step(std::size_t n, T* param, const T* grad, T* m, T* v, const T* norm, const AdamWArgs& a) {
  // Same arithmetic as torch.optim.AdamW (single-tensor path).
  const T gscale = static_cast<T>(clip_factor(static_cast<double>(norm[0]), a.clip));
  const T b1 = static_cast<T>(a.beta1), b2 = static_cast<T>(a.beta2);
  const T decay = static_cast<T>(1.0 - a.lr * a.weight_decay);
  const T step_size = static_cast<T>(a.lr / (1.0 - std::pow(a.beta1, static_cast<double>(a.step))));
  const T bc2_sqrt = static_cast<T>(std::sqrt(1.0 - std::pow(a.beta2, static_cast<double>(a.step))));
  const T eps = static_cast<T>(a.eps);
#pragma omp parallel for schedule(static) if (n > 16384)
  for (std::size_t i = 0; i < n; ++i) {
    const T g = grad[i] * gscale;
    param[i] *= decay;
    m[i] = b1 * m[i] + (T(1) - b1) * g;
    v[i] = b2 * v[i] + (T(1) - b2) * g * g;
    param[i] -= step_size * m[i] / (std::sqrt(v[i]) / bc2_sqrt + eps);
  }
}

template void grad_norm<float>(std::size_t, const float*, float*);
template void grad_norm<double>(std::size_t, const double*, double*);
template void adamw_step<float>(std::size_t, float*, const float*, float*, float*, const float*, const AdamWArgs&);
template void adamw_step<double>(std::size_t, double*, const double*, double*, double*, const double*,
                                 const AdamWArgs&);

}  // namespace wuxia::cpu
