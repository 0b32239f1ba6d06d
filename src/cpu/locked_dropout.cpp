#include "parallel.hpp"
#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/model/rng.hpp"

namespace wuxia::cpu {

// One draw per mask element, applied to each of its n / period steps, rather
// than a draw per element: the mask is the same at every step by design.
template <class T>
void locked_dropout(std::size_t n, std::size_t period, double p, uint64_t seed, uint32_t purpose, uint64_t step,
                    const T* in, T* out) {
  // Rounded as src/cpu/dropout.cpp rounds them, so the GPU (kernels/locked_dropout.cu) matches bit for bit.
  const float threshold = static_cast<float>(p);
  const T keep_scale = T(1) / (T(1) - static_cast<T>(p));
  const std::size_t width = period < n ? period : n;
  const bool parallel = n > static_cast<std::size_t>(kParallelMinElements / 4);
#pragma omp parallel for schedule(static) if (parallel)
  for (std::size_t j = 0; j < width; ++j) {
    const bool keep = rng::uniform(seed, purpose, step, j) >= threshold;
    for (std::size_t i = j; i < n; i += period) out[i] = keep ? in[i] * keep_scale : T(0);
  }
}

template void locked_dropout<float>(std::size_t, std::size_t, double, uint64_t, uint32_t, uint64_t, const float*,
                                    float*);
template void locked_dropout<double>(std::size_t, std::size_t, double, uint64_t, uint32_t, uint64_t, const double*,
                                     double*);

}  // namespace wuxia::cpu
