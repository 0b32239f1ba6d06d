// Backend::axpby on the CPU: the weighted blend that the parameter average
// (--ema) and the pull toward the base (--l2sp) are made of.
#include <algorithm>

#include "parallel.hpp"
#include "wuxia/cpu/cpu_backend.hpp"

namespace wuxia::cpu {

template <class T>
void axpby(std::size_t n, const T* x, T* y, const T* ab) {
  const T a = ab[0], b = ab[1];
  // Element-wise: the bits do not depend on how the range is cut.
  const bool parallel = n > static_cast<std::size_t>(kParallelMinElements);
#pragma omp parallel for schedule(static) if (parallel)
  for (std::size_t i = 0; i < n; ++i) y[i] = a * x[i] + b * y[i];
}

template void axpby<float>(std::size_t, const float*, float*, const float*);
template void axpby<double>(std::size_t, const double*, double*, const double*);

}  // namespace wuxia::cpu
