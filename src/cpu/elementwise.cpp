#include <algorithm>
#include <cstring>

#include "parallel.hpp"
#include "wuxia/cpu/cpu_backend.hpp"

namespace wuxia::cpu {

template <class T>
void bias_rows(int rows, int cols, const T* b1, const T* b2, T* out) {
  const bool parallel = static_cast<long>(rows) * cols > kParallelMinElements;
#pragma omp parallel for schedule(static) if (parallel)
  for (int r = 0; r < rows; ++r) {
    T* o = out + static_cast<std::size_t>(r) * cols;
    for (int c = 0; c < cols; ++c) o[c] = b1[c] + (b2 ? b2[c] : T(0));
  }
}

template <class T>
void sum_rows(int rows, int cols, const T* in, T* out) {
  constexpr int kCols = 64;
  const int blocks = (cols + kCols - 1) / kCols;
  const bool parallel = static_cast<long>(rows) * cols > kParallelMinElements;
#pragma omp parallel for schedule(static) if (parallel)
  for (int blk = 0; blk < blocks; ++blk) {
    const int c0 = blk * kCols, c1 = std::min(cols, c0 + kCols);
    T acc[kCols];
    for (int c = c0; c < c1; ++c) acc[c - c0] = T(0);
    for (int r = 0; r < rows; ++r) {
      const T* row = in + static_cast<std::size_t>(r) * cols;
      for (int c = c0; c < c1; ++c) acc[c - c0] += row[c];
    }
    for (int c = c0; c < c1; ++c) out[c] = acc[c - c0];
  }
}

template <class T>
void fill(std::size_t n, T value, T* x) {
  std::fill(x, x + n, value);
}

template <class T>
void copy(std::size_t n, const T* src, T* dst) {
  if (n) std::memcpy(dst, src, n * sizeof(T));
}

#define WUXIA_INSTANTIATE(T)                                    \
  template void bias_rows<T>(int, int, const T*, const T*, T*); \
  template void sum_rows<T>(int, int, const T*, T*);            \
  template void fill<T>(std::size_t, T, T*);                    \
  template void copy<T>(std::size_t, const T*, T*);
WUXIA_INSTANTIATE(float)
WUXIA_INSTANTIATE(double)
#undef WUXIA_INSTANTIATE

}  // namespace wuxia::cpu
