// The fused LSTM cell: one thread per (row, hidden unit) reads that unit's
// four gate pre-activations, applies the non-linearities and updates c and h
// in registers, so a step costs one pass over the gates instead of five
// separate element-wise kernels. The arithmetic follows src/cpu/lstm_cell.cpp
// expression by expression, so the two differ only by their exp/tanh
// (CUDA's expf/tanhf: 2 ulp; the CPU's vectorised ones: ~3e-7 absolute).
#include "common.cuh"
#include "wuxia/cuda/cuda_check.hpp"
#include "lstm_cell.cuh"

namespace wuxia::cuda::kern {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

// c_prev present or not is a template flag: the forward of step 0 has none,
// and a per-element branch on a null pointer is avoidable work in the hottest
// kernel of the model. Index: see with_index_type (the largest index is
// below 4 * b * h, the gates).
template <bool kHasCPrev, class Index>
__global__ void __launch_bounds__(kThreads)
    lstm_forward_kernel(Index b, Index h, float* __restrict__ gates, const float* c_prev, float* c,
                        float* __restrict__ h_out) {
  // c_prev and c are not __restrict__: inference passes the same buffer.
  const Index total = b * h;
  for (Index idx = grid_first<Index>(); idx < total; idx += grid_stride<Index>()) {
    const Index r = idx / h, j = idx % h;
    float* g = gates + r * 4 * h;
    const float i = sigmoid(g[j]);
    const float f = sigmoid(g[h + j]);
    const float gg = tanhf(g[2 * h + j]);
    const float o = sigmoid(g[3 * h + j]);
    g[j] = i;
    g[h + j] = f;
    g[2 * h + j] = gg;
    g[3 * h + j] = o;
    const float cp = kHasCPrev ? c_prev[idx] : 0.0f;
    const float cn = f * cp + i * gg;
    c[idx] = cn;
    h_out[idx] = o * tanhf(cn);
  }
}

template <bool kHasCPrev, bool kHasDh, bool kHasDhRec, class Index>
__global__ void __launch_bounds__(kThreads)
    lstm_backward_kernel(Index b, Index h, const float* __restrict__ gates, const float* __restrict__ c_prev,
                         const float* __restrict__ c, const float* __restrict__ dh, const float* __restrict__ dh_rec,
                         float* __restrict__ dc, float* __restrict__ dgates) {
  const Index total = b * h;
  for (Index idx = grid_first<Index>(); idx < total; idx += grid_stride<Index>()) {
    const Index r = idx / h, j = idx % h;
    const float* g = gates + r * 4 * h;
    float* dg = dgates + r * 4 * h;
    const float i = g[j], f = g[h + j], gg = g[2 * h + j], o = g[3 * h + j];
    const float tc = tanhf(c[idx]);
    const float dhj = (kHasDh ? dh[idx] : 0.0f) + (kHasDhRec ? dh_rec[idx] : 0.0f);
    const float dcj = dc[idx] + dhj * o * (1.0f - tc * tc);
    const float cp = kHasCPrev ? c_prev[idx] : 0.0f;
    dg[j] = dcj * gg * i * (1.0f - i);
    dg[h + j] = dcj * cp * f * (1.0f - f);
    dg[2 * h + j] = dcj * i * (1.0f - gg * gg);
    dg[3 * h + j] = dhj * tc * o * (1.0f - o);
    dc[idx] = dcj * f;
  }
}

// The backward's three presence flags, one template level each.
template <bool kHasCPrev, bool kHasDh, class Index>
void launch_backward_dhrec(unsigned blocks, cudaStream_t stream, bool has_dh_rec, Index b, Index h,
                           const float* gates, const float* c_prev, const float* c, const float* dh,
                           const float* dh_rec, float* dc, float* dgates) {
  if (has_dh_rec) {
    lstm_backward_kernel<kHasCPrev, kHasDh, true, Index><<<blocks, kThreads, 0, stream>>>(b, h, gates, c_prev, c, dh,
                                                                                          dh_rec, dc, dgates);
  } else {
    lstm_backward_kernel<kHasCPrev, kHasDh, false, Index><<<blocks, kThreads, 0, stream>>>(b, h, gates, c_prev, c, dh,
                                                                                           dh_rec, dc, dgates);
  }
}

template <bool kHasCPrev, class Index>
void launch_backward_dh(unsigned blocks, cudaStream_t stream, Index b, Index h, const float* gates,
                        const float* c_prev, const float* c, const float* dh, const float* dh_rec, float* dc,
                        float* dgates) {
  if (dh) {
    launch_backward_dhrec<kHasCPrev, true>(blocks, stream, dh_rec != nullptr, b, h, gates, c_prev, c, dh, dh_rec, dc,
                                           dgates);
  } else {
    launch_backward_dhrec<kHasCPrev, false>(blocks, stream, dh_rec != nullptr, b, h, gates, c_prev, c, dh, dh_rec, dc,
                                            dgates);
  }
}

// Calls launch(blocks, b, h) for a kernel over the b * h cell units, with b
// and h in the kernel's index type (the largest index it forms is below
// 4 * b * h, the gates), then checks the launch. Nothing for an empty batch.
template <class F>
void launch_over_units(int b, int h, F&& launch) {
  if (b <= 0 || h <= 0) return;
  const std::size_t bh = static_cast<std::size_t>(b) * h;
  const unsigned blocks = blocks_for(bh, kThreads);
  with_index_type(4 * bh, [&](auto index) {
    using Index = decltype(index);
    launch(blocks, static_cast<Index>(b), static_cast<Index>(h));
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace

void lstm_cell_forward(int b, int h, float* gates, const float* c_prev, float* c, float* h_out, cudaStream_t stream) {
  launch_over_units(b, h, [&](unsigned blocks, auto ib, auto ih) {
    using Index = decltype(ib);
    if (c_prev) {
      lstm_forward_kernel<true, Index><<<blocks, kThreads, 0, stream>>>(ib, ih, gates, c_prev, c, h_out);
    } else {
      lstm_forward_kernel<false, Index><<<blocks, kThreads, 0, stream>>>(ib, ih, gates, nullptr, c, h_out);
    }
  });
}

void lstm_cell_backward(int b, int h, const float* gates, const float* c_prev, const float* c, const float* dh,
                        const float* dh_rec, float* dc, float* dgates, cudaStream_t stream) {
  launch_over_units(b, h, [&](unsigned blocks, auto ib, auto ih) {
    if (c_prev) {
      launch_backward_dh<true>(blocks, stream, ib, ih, gates, c_prev, c, dh, dh_rec, dc, dgates);
    } else {
      launch_backward_dh<false>(blocks, stream, ib, ih, gates, c_prev, c, dh, dh_rec, dc, dgates);
    }
  });
}

}  // namespace wuxia::cuda::kern
