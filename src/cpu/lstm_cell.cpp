#include "simd_math.hpp"
#include "wuxia/cpu/cpu_backend.hpp"

namespace wuxia::cpu {

namespace {

// A row of zeros standing in for an absent input (c_prev at t = 0, dh_rec at
// the last step): the loops then have no null checks, whose branches around
// loads would stop the compiler from vectorising them. Zero-initialised
// static storage, so untouched pages cost no memory. 65536 = the largest
// hidden size ModelConfig accepts.
template <class T>
const T* zeros() {
  alignas(64) static const T kZeros[65536] = {};
  return kZeros;
}

// One row (one sequence) of the cell, h units: plain loops over j that the
// compiler vectorises (simd:: math has no calls or branches). __restrict
// marks the buffers that never overlap another argument, which keeps the
// vectoriser's run-time overlap checks few enough that it still vectorises;
// c_prev may be c (inference updates the state in place), so those two are
// left unmarked.
template <class T>
WUXIA_CPU_INLINE void forward_row(int h, T* __restrict g, const T* cp, T* c, T* __restrict h_out) {
  for (int j = 0; j < h; ++j) {
    const T i = simd::sigmoid(g[j]);
    const T f = simd::sigmoid(g[h + j]);
    const T gg = simd::tanh(g[2 * h + j]);
    const T o = simd::sigmoid(g[3 * h + j]);
    g[j] = i, g[h + j] = f, g[2 * h + j] = gg, g[3 * h + j] = o;
    const T cn = f * cp[j] + i * gg;
    c[j] = cn;
    h_out[j] = o * simd::tanh(cn);
  }
}

template <class T>
WUXIA_CPU_INLINE void backward_row(int h, const T* g, const T* cp, const T* c, const T* dh, const T* dh_rec,
                                   T* __restrict dc, T* __restrict dg) {
  for (int j = 0; j < h; ++j) {
    const T i = g[j], f = g[h + j], gg = g[2 * h + j], o = g[3 * h + j];
    const T tc = simd::tanh(c[j]);
    const T dhj = dh[j] + dh_rec[j];
    const T dcj = dc[j] + dhj * o * (T(1) - tc * tc);
    dg[j] = dcj * gg * i * (T(1) - i);
    dg[h + j] = dcj * cp[j] * f * (T(1) - f);
    dg[2 * h + j] = dcj * i * (T(1) - gg * gg);
    dg[3 * h + j] = dhj * tc * o * (T(1) - o);
    dc[j] = dcj * f;
  }
}

// The float rows, built per ISA level (simd_math.hpp); double uses the
// templates as they are.
WUXIA_CPU_CLONES void forward_row_f32(int h, float* g, const float* cp, float* c, float* h_out) {
  forward_row(h, g, cp, c, h_out);
}
WUXIA_CPU_CLONES void backward_row_f32(int h, const float* g, const float* cp, const float* c, const float* dh,
                                       const float* dh_rec, float* dc, float* dg) {
  backward_row(h, g, cp, c, dh, dh_rec, dc, dg);
}
inline void forward_row_best(int h, float* g, const float* cp, float* c, float* h_out) {
  forward_row_f32(h, g, cp, c, h_out);
}
inline void forward_row_best(int h, double* g, const double* cp, double* c, double* h_out) {
  forward_row(h, g, cp, c, h_out);
}
inline void backward_row_best(int h, const float* g, const float* cp, const float* c, const float* dh,
                              const float* dh_rec, float* dc, float* dg) {
  backward_row_f32(h, g, cp, c, dh, dh_rec, dc, dg);
}
inline void backward_row_best(int h, const double* g, const double* cp, const double* c, const double* dh,
                              const double* dh_rec, double* dc, double* dg) {
  backward_row(h, g, cp, c, dh, dh_rec, dc, dg);
}

// A step's cell is about a nanosecond per unit once vectorised: below this
// many units (~0.1 ms) a parallel region's fork/join (parallel.hpp) costs
// more than it saves.
constexpr long kParallelUnits = 1 << 17;

}  // namespace

template <class T>
void lstm_cell_forward(int b, int h, T* gates, const T* c_prev, T* c, T* h_out) {
  const bool parallel = static_cast<long>(b) * h >= kParallelUnits;
#pragma omp parallel for schedule(static) if (parallel)
  for (int r = 0; r < b; ++r) {
    const std::size_t row = static_cast<std::size_t>(r) * h;
    forward_row_best(h, gates + 4 * row, c_prev ? c_prev + row : zeros<T>(), c + row, h_out + row);
  }
}

template <class T>
void lstm_cell_backward(int b, int h, const T* gates, const T* c_prev, const T* c, const T* dh, const T* dh_rec, T* dc,
                        T* dgates) {
  const bool parallel = static_cast<long>(b) * h >= kParallelUnits;
#pragma omp parallel for schedule(static) if (parallel)
  for (int r = 0; r < b; ++r) {
    const std::size_t row = static_cast<std::size_t>(r) * h;
    backward_row_best(h, gates + 4 * row, c_prev ? c_prev + row : zeros<T>(), c + row, dh ? dh + row : zeros<T>(),
                      dh_rec ? dh_rec + row : zeros<T>(), dc + row, dgates + 4 * row);
  }
}

template void lstm_cell_forward<float>(int, int, float*, const float*, float*, float*);
template void lstm_cell_forward<double>(int, int, double*, const double*, double*, double*);
template void lstm_cell_backward<float>(int, int, const float*, const float*, const float*, const float*, const float*,
                                        float*, float*);
template void lstm_cell_backward<double>(int, int, const double*, const double*, const double*, const double*,
                                         const double*, double*, double*);

}  // namespace wuxia::cpu
