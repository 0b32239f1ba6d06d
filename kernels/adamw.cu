// The optimizer: global gradient norm (two passes, deterministic) and the
// AdamW update (one pass over the flat parameter buffer).
#include "adamw.cuh"
#include "common.cuh"
#include "wuxia/cuda/cuda_check.hpp"

namespace wuxia::cuda::kern {
namespace {

constexpr int kThreads = 256;

// Pass 1: block b sums x^2 over its grid-stride slice in double. Squares of
// floats are exact in double, so only the summation order can differ from the
// CPU, and that order is fixed by n (the grid size depends on n alone).
// (Index, here and below: see with_index_type; it changes nothing but the
// loop counter's width, so neither the elements a thread visits nor their order.)
template <class Index>
__global__ void __launch_bounds__(kThreads)
    sum_squares(Index n, const float* __restrict__ x, double* __restrict__ partials) {
  __shared__ double smem[kThreads / 32 + 1];
  double s = 0.0;
  for (Index i = grid_first<Index>(); i < n; i += grid_stride<Index>()) {
    const double xi = x[i];
    s += xi * xi;
  }
  s = block_sum<kThreads>(s, smem);
  if (threadIdx.x == 0) partials[blockIdx.x] = s;
}

// The explicit _rn intrinsics keep nvcc from fusing a*b + c into one FMA, so
// every product and sum is rounded on its own, as the CPU reference's source
// reads: given the same norm, the step matches a CPU build that does not
// contract to FMA bit for bit (the CPU's AVX2/AVX-512 clones do contract, and
// differ from it by an ulp of the terms).
template <class Index>
__global__ void __launch_bounds__(kThreads)
    adamw_kernel(Index n, float* __restrict__ param, const float* __restrict__ grad, float* __restrict__ m,
                 float* __restrict__ v, const float* __restrict__ norm, const AdamWScalars<float>* __restrict__ s,
                 const uint8_t* __restrict__ base) {
  const AdamWScalars<float> k = *s;
  const float one_minus_b1 = 1.0f - k.b1, one_minus_b2 = 1.0f - k.b2;
  // torch.nn.utils.clip_grad_norm_'s factor, in double as cpu::clip_factor.
  float gscale = 1.0f;
  if (k.clip > 0.0) {
    const double f = k.clip / (static_cast<double>(norm[0]) + 1e-6);
    gscale = static_cast<float>(f < 1.0 ? f : 1.0);
  }
  for (Index i = grid_first<Index>(); i < n; i += grid_stride<Index>()) {
    const float g = __fmul_rn(grad[i], gscale);
    const bool b = base && base[i];  // --base-rows-lr: this element's learning rate
    float p = __fmul_rn(param[i], b ? k.decay_base : k.decay);
    const float mi = __fadd_rn(__fmul_rn(k.b1, m[i]), __fmul_rn(one_minus_b1, g));
    const float vi = __fadd_rn(__fmul_rn(k.b2, v[i]), __fmul_rn(__fmul_rn(one_minus_b2, g), g));
    const float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), k.bc2_sqrt), k.eps);
    p = __fsub_rn(p, __fdiv_rn(__fmul_rn(b ? k.step_size_base : k.step_size, mi), denom));
    m[i] = mi;
    v[i] = vi;
    param[i] = p;
  }
}

}  // namespace

void grad_norm(std::size_t n, const float* x, float* out, double* partials, cudaStream_t stream) {
  // Enough blocks to fill the GPU for a large model, but a count set by n.
  const unsigned blocks = blocks_for(n, kThreads * 8, kMaxPartials);
  with_index_type(n, [&](auto index) {
    using Index = decltype(index);
    sum_squares<Index><<<blocks, kThreads, 0, stream>>>(static_cast<Index>(n), x, partials);
    CUDA_CHECK_LAUNCH();
  });
  finish_partials<true><<<1, kReduceThreads, 0, stream>>>(static_cast<int>(blocks), partials, out);
  CUDA_CHECK_LAUNCH();
}

void adamw_step(std::size_t n, float* param, const float* grad, float* m, float* v, const float* norm,
                const AdamWScalars<float>* s, const uint8_t* base, cudaStream_t stream) {
  if (!n) return;
  with_index_type(n, [&](auto index) {
    using Index = decltype(index);
    adamw_kernel<Index><<<blocks_for(n, kThreads), kThreads, 0, stream>>>(static_cast<Index>(n), param, grad, m, v,
                                                                          norm, s, base);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace wuxia::cuda::kern
