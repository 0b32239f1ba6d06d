#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "parallel.hpp"
#include "simd_math.hpp"
#include "wuxia/cpu/cpu_backend.hpp"

namespace wuxia::cpu {

namespace {

// Reductions over a row go through kLanes independent partial results (one
// vector register's worth), combined in lane order at the end: the compiler
// vectorises the sums (a single running sum is a chain it may not reorder;
// the max it keeps as 16 scalars), and the order is fixed by this code, so
// every run, thread count and ISA level sums in the same order.
constexpr int kLanes = 16;

template <class T>
WUXIA_CPU_INLINE T row_max(int v, const T* x) {
  T m[kLanes];
  for (int l = 0; l < kLanes; ++l) m[l] = x[0];
  int j = 0;
  for (; j + kLanes <= v; j += kLanes) {
    for (int l = 0; l < kLanes; ++l) m[l] = x[j + l] > m[l] ? x[j + l] : m[l];
  }
  for (; j < v; ++j) m[0] = x[j] > m[0] ? x[j] : m[0];
  T mx = m[0];
  for (int l = 1; l < kLanes; ++l) mx = m[l] > mx ? m[l] : mx;
  return mx;
}

// sum_j exp(x[j] - mx); with kInPlace, also x[j] = exp(x[j] - mx).
template <bool kInPlace, class T>
WUXIA_CPU_INLINE T row_sum_exp(int v, std::conditional_t<kInPlace, T*, const T*> x, T mx) {
  T s[kLanes] = {};
  int j = 0;
  for (; j + kLanes <= v; j += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      const T e = simd::exp(x[j + l] - mx);
      if constexpr (kInPlace) x[j + l] = e;
      s[l] += e;
    }
  }
  for (; j < v; ++j) {
    const T e = simd::exp(x[j] - mx);
    if constexpr (kInPlace) x[j] = e;
    s[j % kLanes] += e;
  }
  T sum = 0;
  for (int l = 0; l < kLanes; ++l) sum += s[l];
  return sum;
}

// One row: returns its NLL; with dx, writes (softmax - onehot) * scale there.
// One exp per element: the exponentials go into dx, then are normalised.
template <class T>
WUXIA_CPU_INLINE double xent_row(int v, const T* x, int t, T scale, T* dx) {
  const T mx = row_max(v, x);
  const T xt = x[t];  // before dx (which may be x) is overwritten
  if (!dx) return static_cast<double>(mx + std::log(row_sum_exp<false, T>(v, x, mx)) - xt);
  if (dx != x) std::memcpy(dx, x, sizeof(T) * v);  // then work in place: one buffer, no overlap checks
  const T sum = row_sum_exp<true, T>(v, dx, mx);
  const T k = scale / sum;
  for (int j = 0; j < v; ++j) dx[j] *= k;
  dx[t] -= scale;
  return static_cast<double>(mx + std::log(sum) - xt);
}

WUXIA_CPU_CLONES double xent_row_f32(int v, const float* x, int t, float scale, float* dx) {
  return xent_row(v, x, t, scale, dx);
}
inline double xent_row_best(int v, const float* x, int t, float scale, float* dx) {
  return xent_row_f32(v, x, t, scale, dx);
}
inline double xent_row_best(int v, const double* x, int t, double scale, double* dx) {
  return xent_row(v, x, t, scale, dx);
}

}  // namespace

template <class T>
void softmax_xent(int rows, int v, const T* logits, const int32_t* targets, T scale, T* loss, T* row_loss, T* dlogits) {
  // Per-row losses first, summed afterwards in row order: the total does not
  // depend on how rows were split over threads. The per-row scratch is kept
  // between calls (one per calling thread) so a training step allocates nothing.
  thread_local std::vector<double> scratch;
  if (scratch.size() < static_cast<std::size_t>(rows)) scratch.resize(rows);
  double* nll = scratch.data();  // the caller's: the pool threads have their own thread_locals
  const bool parallel = static_cast<long>(rows) * v > kParallelMinElements / 4;  // an exp per element
#pragma omp parallel for schedule(static) if (parallel)
  for (int r = 0; r < rows; ++r) {
    const T* x = logits + static_cast<std::size_t>(r) * v;
    T* dx = dlogits ? dlogits + static_cast<std::size_t>(r) * v : nullptr;
    const int t = targets[r];
    if (t < 0) {
      nll[r] = 0;
      if (dx) {
        for (int j = 0; j < v; ++j) dx[j] = T(0);
      }
      continue;
    }
    nll[r] = xent_row_best(v, x, t, scale, dx);
  }
  double total = 0;
  for (int r = 0; r < rows; ++r) total += nll[r];
  loss[0] = static_cast<T>(total);
  if (row_loss) {
    for (int r = 0; r < rows; ++r) row_loss[r] = static_cast<T>(nll[r]);
  }
}

template void softmax_xent<float>(int, int, const float*, const int32_t*, float, float*, float*, float*);
template void softmax_xent<double>(int, int, const double*, const int32_t*, double, double*, double*, double*);

}  // namespace wuxia::cpu
