// Backend::cast_bf16 on the CPU (--precision bf16), and its inverse, which
// the CPU's gemm_bf16 feeds its FP32 GEMM with.
#include "parallel.hpp"
#include "wuxia/cpu/cpu_backend.hpp"

namespace wuxia::cpu {

template <class T>
void cast_bf16(std::size_t n, const T* in, Bf16* out) {
  // Element-wise: the bits do not depend on how the range is cut.
  const bool parallel = n > static_cast<std::size_t>(kParallelMinElements);
#pragma omp parallel for schedule(static) if (parallel)
  for (std::size_t i = 0; i < n; ++i) out[i] = to_bf16(static_cast<float>(in[i]));
}

template <class T>
void widen_bf16(std::size_t n, const Bf16* in, T* out) {
  const bool parallel = n > static_cast<std::size_t>(kParallelMinElements);
#pragma omp parallel for schedule(static) if (parallel)
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<T>(from_bf16(in[i]));
}

template void cast_bf16<float>(std::size_t, const float*, Bf16*);
template void cast_bf16<double>(std::size_t, const double*, Bf16*);
template void widen_bf16<float>(std::size_t, const Bf16*, float*);
template void widen_bf16<double>(std::size_t, const Bf16*, double*);

}  // namespace wuxia::cpu
