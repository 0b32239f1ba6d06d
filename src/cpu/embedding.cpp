#include <algorithm>
#include <cstring>

#include "parallel.hpp"
#include "wuxia/cpu/cpu_backend.hpp"

namespace wuxia::cpu {

template <class T>
void embedding_forward(int n, int e, const int32_t* ids, const T* weight, T* out) {
  const bool parallel = static_cast<long>(n) * e > kParallelMinElements;
#pragma omp parallel for schedule(static) if (parallel)
  for (int r = 0; r < n; ++r) {
    std::memcpy(out + static_cast<std::size_t>(r) * e, weight + static_cast<std::size_t>(ids[r]) * e, sizeof(T) * e);
  }
}

template <class T>
void embedding_backward(int n, int e, int /*v*/, const int32_t* ids, const T* dout, T* dweight) {
  // Threads own column ranges and walk the rows in order, so every element of
  // dweight is summed in row order whatever the thread count.
  constexpr int kCols = 16;
  const int blocks = (e + kCols - 1) / kCols;
  const bool parallel = static_cast<long>(n) * e > kParallelMinElements;
#pragma omp parallel for schedule(static) if (parallel)
  for (int blk = 0; blk < blocks; ++blk) {
    const int c0 = blk * kCols, c1 = std::min(e, c0 + kCols);
    for (int r = 0; r < n; ++r) {
      T* dst = dweight + static_cast<std::size_t>(ids[r]) * e;
      const T* src = dout + static_cast<std::size_t>(r) * e;
      for (int c = c0; c < c1; ++c) dst[c] += src[c];
    }
  }
}

template void embedding_forward<float>(int, int, const int32_t*, const float*, float*);
template void embedding_forward<double>(int, int, const int32_t*, const double*, double*);
template void embedding_backward<float>(int, int, int, const int32_t*, const float*, float*);
template void embedding_backward<double>(int, int, int, const int32_t*, const double*, double*);

}  // namespace wuxia::cpu
