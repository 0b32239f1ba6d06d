// The CPU's lstm_recurrence_forward/backward: the reference the fused CUDA
// recurrence (kernels/lstm_recurrence.cu) is compared with. It is the step
// loop of lstm_layer.cpp written over this backend's own gemm and cell ops, so
// on the CPU --recurrence fused gives the step loop's bits exactly; a CPU has
// no on-chip memory to keep the weights in that its caches do not already.
#include "wuxia/cpu/cpu_backend.hpp"

namespace wuxia::cpu {

template <class T>
void lstm_recurrence_forward(int steps, int b, int h, const T* w_hh, T* gates, T* cells, T* hs) {
  const int g4 = 4 * h;
  const std::size_t bh = static_cast<std::size_t>(b) * h, bg = static_cast<std::size_t>(b) * g4;
  for (int t = 0; t < steps; ++t) {
    T* gt = gates + t * bg;
    // On top of the input projection already there (beta = 1).
    if (t > 0) gemm(false, true, b, g4, h, T(1), hs + (t - 1) * bh, h, w_hh, h, T(1), gt, g4);
    lstm_cell_forward(b, h, gt, t > 0 ? cells + (t - 1) * bh : nullptr, cells + t * bh, hs + t * bh);
  }
}

template <class T>
void lstm_recurrence_backward(int steps, int b, int h, const T* w_hh, const T* gates, const T* cells, const T* dh,
                              T* dc, T* dh_rec, T* dgates) {
  const int g4 = 4 * h;
  const std::size_t bh = static_cast<std::size_t>(b) * h, bg = static_cast<std::size_t>(b) * g4;
  fill(bh, T(0), dc);
  for (int t = steps - 1; t >= 0; --t) {
    lstm_cell_backward(b, h, gates + t * bg, t > 0 ? cells + (t - 1) * bh : nullptr, cells + t * bh, dh + t * bh,
                       t < steps - 1 ? dh_rec : nullptr, dc, dgates + t * bg);
    if (t > 0) gemm(false, false, b, h, g4, T(1), dgates + t * bg, g4, w_hh, h, T(0), dh_rec, h);
  }
}

template void lstm_recurrence_forward<float>(int, int, int, const float*, float*, float*, float*);
template void lstm_recurrence_forward<double>(int, int, int, const double*, double*, double*, double*);
template void lstm_recurrence_backward<float>(int, int, int, const float*, const float*, const float*, const float*,
                                              float*, float*, float*);
template void lstm_recurrence_backward<double>(int, int, int, const double*, const double*, const double*,
                                               const double*, double*, double*, double*);

}  // namespace wuxia::cpu
