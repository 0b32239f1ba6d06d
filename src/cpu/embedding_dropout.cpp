#include "parallel.hpp"
#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/model/rng.hpp"

namespace wuxia::cpu {

template <class T>
void embedding_dropout(int n, int e, const int32_t* ids, double p, uint64_t seed, uint32_t purpose, uint64_t step,
                       const T* in, T* out) {
  // Rounded as src/cpu/dropout.cpp rounds them, so the GPU (kernels/embedding_dropout.cu) matches bit for bit.
  const float threshold = static_cast<float>(p);
  const T keep_scale = T(1) / (T(1) - static_cast<T>(p));
  const std::size_t E = static_cast<std::size_t>(e);
  const bool parallel = static_cast<std::size_t>(n) * E > static_cast<std::size_t>(kParallelMinElements);
#pragma omp parallel for schedule(static) if (parallel)
  for (int r = 0; r < n; ++r) {
    // The token id is the generator's index: a token is kept or dropped wherever it occurs.
    const bool keep = rng::uniform(seed, purpose, step, static_cast<uint64_t>(ids[r])) >= threshold;
    const T* x = in + static_cast<std::size_t>(r) * E;
    T* y = out + static_cast<std::size_t>(r) * E;
    for (std::size_t c = 0; c < E; ++c) y[c] = keep ? x[c] * keep_scale : T(0);
  }
}

template void embedding_dropout<float>(int, int, const int32_t*, double, uint64_t, uint32_t, uint64_t, const float*,
                                       float*);
template void embedding_dropout<double>(int, int, const int32_t*, double, uint64_t, uint32_t, uint64_t,
                                        const double*, double*);

}  // namespace wuxia::cpu
