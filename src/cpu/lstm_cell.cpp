#include <cmath>

#include "wuxia/cpu_backend.hpp"

namespace wuxia::cpu {

template <class T>
static inline T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

template <class T>
void lstm_cell_forward(int b, int h, T* gates, const T* c_prev, T* c, T* h_out) {
#pragma omp parallel for schedule(static) if (static_cast<long>(b) * h > 4096)
  for (int r = 0; r < b; ++r) {
    T* g = gates + static_cast<std::size_t>(r) * 4 * h;
    const std::size_t row = static_cast<std::size_t>(r) * h;
    for (int j = 0; j < h; ++j) {
      const T i = sigmoid(g[j]);
      const T f = sigmoid(g[h + j]);
      const T gg = std::tanh(g[2 * h + j]);
      const T o = sigmoid(g[3 * h + j]);
      g[j] = i, g[h + j] = f, g[2 * h + j] = gg, g[3 * h + j] = o;
      const T cp = c_prev ? c_prev[row + j] : T(0);
      const T cn = f * cp + i * gg;
      c[row + j] = cn;
      h_out[row + j] = o * std::tanh(cn);
    }
  }
}

template <class T>
void lstm_cell_backward(int b, int h, const T* gates, const T* c_prev, const T* c, const T* dh, const T* dh_rec, T* dc,
                        T* dgates) {
#pragma omp parallel for schedule(static) if (static_cast<long>(b) * h > 4096)
  for (int r = 0; r < b; ++r) {
    const T* g = gates + static_cast<std::size_t>(r) * 4 * h;
    T* dg = dgates + static_cast<std::size_t>(r) * 4 * h;
    const std::size_t row = static_cast<std::size_t>(r) * h;
    for (int j = 0; j < h; ++j) {
      const T i = g[j], f = g[h + j], gg = g[2 * h + j], o = g[3 * h + j];
      const T tc = std::tanh(c[row + j]);
      const T dhj = (dh ? dh[row + j] : T(0)) + (dh_rec ? dh_rec[row + j] : T(0));
      const T dcj = dc[row + j] + dhj * o * (T(1) - tc * tc);
      const T cp = c_prev ? c_prev[row + j] : T(0);
      dg[j] = dcj * gg * i * (T(1) - i);
      dg[h + j] = dcj * cp * f * (T(1) - f);
      dg[2 * h + j] = dcj * i * (T(1) - gg * gg);
      dg[3 * h + j] = dhj * tc * o * (T(1) - o);
      dc[row + j] = dcj * f;
    }
  }
}

template void lstm_cell_forward<float>(int, int, float*, const float*, float*, float*);
template void lstm_cell_forward<double>(int, int, double*, const double*, double*, double*);
template void lstm_cell_backward<float>(int, int, const float*, const float*, const float*, const float*, const float*,
                                        float*, float*);
template void lstm_cell_backward<double>(int, int, const double*, const double*, const double*, const double*,
                                         const double*, double*, double*);

}  // namespace wuxia::cpu
