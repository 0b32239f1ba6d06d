#include "parallel.hpp"
#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/model/rng.hpp"

namespace wuxia::cpu {

template <class T>
void dropout(std::size_t n, double p, uint64_t seed, uint32_t purpose, uint64_t step, const T* in, T* out) {
  const float threshold = static_cast<float>(p);
  const T keep_scale = T(1) / (T(1) - static_cast<T>(p));
  const bool parallel = n > static_cast<std::size_t>(kParallelMinElements / 16);  // a Philox draw (~20 ns) each
#pragma omp parallel for schedule(static) if (parallel)
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = rng::uniform(seed, purpose, step, i) >= threshold ? in[i] * keep_scale : T(0);
  }
}

template void dropout<float>(std::size_t, double, uint64_t, uint32_t, uint64_t, const float*, float*);
template void dropout<double>(std::size_t, double, uint64_t, uint32_t, uint64_t, const double*, double*);

}  // namespace wuxia::cpu
