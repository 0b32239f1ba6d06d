#include <cmath>
#include <vector>

#include "wuxia/cpu_backend.hpp"

namespace wuxia::cpu {

template <class T>
void softmax_xent(int rows, int v, const T* logits, const int32_t* targets, T scale, T* loss, T* row_loss,
                  T* dlogits) {
  // Per-row losses first, summed afterwards in row order: the total does not
  // depend on how rows were split over threads.
  std::vector<double> nll(rows);
#pragma omp parallel for schedule(static) if (static_cast<long>(rows) * v > 32768)
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
    T mx = x[0];
    for (int j = 1; j < v; ++j) mx = x[j] > mx ? x[j] : mx;
    T sum = 0;
    for (int j = 0; j < v; ++j) sum += std::exp(x[j] - mx);
    const T lse = mx + std::log(sum);
    nll[r] = static_cast<double>(lse - x[t]);
    if (dx) {
      // Reads x[j] before writing dx[j]: safe when dlogits aliases logits.
      for (int j = 0; j < v; ++j) dx[j] = std::exp(x[j] - lse) * scale;
      dx[t] -= scale;
    }
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
