#include <algorithm>
#include <cmath>
#include <vector>

#include "simd_math.hpp"
#include "wuxia/cpu/cpu_backend.hpp"

namespace wuxia::cpu {

namespace {

// Sum of squares of x[0..n) in double, through kLanes partial sums combined
// in lane order: vectorisable, and the same bits on every run.
constexpr int kLanes = 8;
template <class T>
WUXIA_CPU_INLINE double sum_squares(std::size_t n, const T* x) {
  double s[kLanes] = {};
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) s[l] += static_cast<double>(x[i + l]) * x[i + l];
  }
  for (; i < n; ++i) s[i % kLanes] += static_cast<double>(x[i]) * x[i];
  double total = 0;
  for (int l = 0; l < kLanes; ++l) total += s[l];
  return total;
}
WUXIA_CPU_CLONES double sum_squares_f32(std::size_t n, const float* x) { return sum_squares(n, x); }
inline double sum_squares_best(std::size_t n, const float* x) { return sum_squares_f32(n, x); }
inline double sum_squares_best(std::size_t n, const double* x) { return sum_squares(n, x); }

// Same arithmetic as torch.optim.AdamW (single-tensor path), element by element.
template <class T>
WUXIA_CPU_INLINE void adamw_range(std::size_t n, T* __restrict param, const T* __restrict grad, T* __restrict m,
                                  T* __restrict v, T gscale, T b1, T b2, T decay, T step_size, T bc2_sqrt, T eps) {
  for (std::size_t i = 0; i < n; ++i) {
    const T g = grad[i] * gscale;
    param[i] *= decay;
    m[i] = b1 * m[i] + (T(1) - b1) * g;
    v[i] = b2 * v[i] + (T(1) - b2) * g * g;
    param[i] -= step_size * m[i] / (std::sqrt(v[i]) / bc2_sqrt + eps);
  }
}
WUXIA_CPU_CLONES void adamw_range_f32(std::size_t n, float* param, const float* grad, float* m, float* v, float gscale,
                                      float b1, float b2, float decay, float step_size, float bc2_sqrt, float eps) {
  adamw_range(n, param, grad, m, v, gscale, b1, b2, decay, step_size, bc2_sqrt, eps);
}
inline void adamw_range_best(std::size_t n, float* p, const float* g, float* m, float* v, float gscale, float b1,
                             float b2, float decay, float step_size, float bc2_sqrt, float eps) {
  adamw_range_f32(n, p, g, m, v, gscale, b1, b2, decay, step_size, bc2_sqrt, eps);
}
inline void adamw_range_best(std::size_t n, double* p, const double* g, double* m, double* v, double gscale, double b1,
                             double b2, double decay, double step_size, double bc2_sqrt, double eps) {
  adamw_range(n, p, g, m, v, gscale, b1, b2, decay, step_size, bc2_sqrt, eps);
}

// adamw_range with two learning rates: element i takes decay_b and
// step_size_b where base[i] != 0 (--base-rows-lr). The same expression as
// adamw_range, cloned alike, so an unmarked element gets the bits it would
// get there.
template <class T>
WUXIA_CPU_INLINE void adamw_range_base(std::size_t n, T* __restrict param, const T* __restrict grad, T* __restrict m,
                                       T* __restrict v, const uint8_t* __restrict base, T gscale, T b1, T b2, T decay,
                                       T step_size, T decay_b, T step_size_b, T bc2_sqrt, T eps) {
  for (std::size_t i = 0; i < n; ++i) {
    const T g = grad[i] * gscale;
    const T d = base[i] ? decay_b : decay, st = base[i] ? step_size_b : step_size;
    param[i] *= d;
    m[i] = b1 * m[i] + (T(1) - b1) * g;
    v[i] = b2 * v[i] + (T(1) - b2) * g * g;
    param[i] -= st * m[i] / (std::sqrt(v[i]) / bc2_sqrt + eps);
  }
}
WUXIA_CPU_CLONES void adamw_range_base_f32(std::size_t n, float* param, const float* grad, float* m, float* v,
                                           const uint8_t* base, float gscale, float b1, float b2, float decay,
                                           float step_size, float decay_b, float step_size_b, float bc2_sqrt,
                                           float eps) {
  adamw_range_base(n, param, grad, m, v, base, gscale, b1, b2, decay, step_size, decay_b, step_size_b, bc2_sqrt, eps);
}
inline void adamw_range_base_best(std::size_t n, float* p, const float* g, float* m, float* v, const uint8_t* base,
                                  float gscale, float b1, float b2, float decay, float step_size, float decay_b,
                                  float step_size_b, float bc2_sqrt, float eps) {
  adamw_range_base_f32(n, p, g, m, v, base, gscale, b1, b2, decay, step_size, decay_b, step_size_b, bc2_sqrt, eps);
}
inline void adamw_range_base_best(std::size_t n, double* p, const double* g, double* m, double* v,
                                  const uint8_t* base, double gscale, double b1, double b2, double decay,
                                  double step_size, double decay_b, double step_size_b, double bc2_sqrt, double eps) {
  adamw_range_base(n, p, g, m, v, base, gscale, b1, b2, decay, step_size, decay_b, step_size_b, bc2_sqrt, eps);
}

// Both ops walk the buffer in fixed chunks (threads take whole chunks), so
// the split, and with it every bit of the result, is the same for any
// thread count. A chunk is also a worthwhile piece of work for a thread.
constexpr std::size_t kChunk = 16384;

}  // namespace

template <class T>
void grad_norm(std::size_t n, const T* x, T* out) {
  // Each chunk summed in order, then the chunk sums in order.
  const std::size_t chunks = (n + kChunk - 1) / kChunk;
  thread_local std::vector<double> scratch;  // kept between calls: no allocation per step
  if (scratch.size() < chunks) scratch.resize(chunks);
  double* part = scratch.data();  // the caller's: the pool threads have their own thread_locals
#pragma omp parallel for schedule(static) if (chunks > 4)
  for (std::size_t c = 0; c < chunks; ++c) {
    const std::size_t begin = c * kChunk;
    part[c] = sum_squares_best(std::min(n, begin + kChunk) - begin, x + begin);
  }
  double total = 0;
  for (std::size_t c = 0; c < chunks; ++c) total += part[c];
  out[0] = static_cast<T>(std::sqrt(total));
}

template <class T>
void adamw_step(std::size_t n, T* param, const T* grad, T* m, T* v, const T* norm, const AdamWScalars<T>& s,
                const uint8_t* base) {
  const T gscale = static_cast<T>(clip_factor(static_cast<double>(norm[0]), s.clip));
  const std::size_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (chunks > 4)
  for (std::size_t c = 0; c < chunks; ++c) {
    const std::size_t begin = c * kChunk, len = std::min(n, begin + kChunk) - begin;
    if (base) {
      adamw_range_base_best(len, param + begin, grad + begin, m + begin, v + begin, base + begin, gscale, s.b1, s.b2,
                            s.decay, s.step_size, s.decay_base, s.step_size_base, s.bc2_sqrt, s.eps);
    } else {
      adamw_range_best(len, param + begin, grad + begin, m + begin, v + begin, gscale, s.b1, s.b2, s.decay,
                       s.step_size, s.bc2_sqrt, s.eps);
    }
  }
}

template void grad_norm<float>(std::size_t, const float*, float*);
template void grad_norm<double>(std::size_t, const double*, double*);
template void adamw_step<float>(std::size_t, float*, const float*, float*, float*, const float*,
                                const AdamWScalars<float>&, const uint8_t*);
template void adamw_step<double>(std::size_t, double*, const double*, double*, double*, const double*,
                                 const AdamWScalars<double>&, const uint8_t*);

}  // namespace wuxia::cpu
