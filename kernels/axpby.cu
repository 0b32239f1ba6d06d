// The weighted blend y = a x + b y over the flat parameter buffer: the
// parameter average (--ema) and the pull toward the base (--l2sp).
#include "axpby.cuh"
#include "common.cuh"
#include "wuxia/cuda/cuda_check.hpp"

namespace wuxia::cuda::kern {
namespace {

constexpr int kThreads = 256;

template <class Index>
__global__ void __launch_bounds__(kThreads)
    axpby_kernel(Index n, const float* __restrict__ x, float* __restrict__ y, const float* __restrict__ ab) {
  const float a = ab[0], b = ab[1];
  for (Index i = grid_first<Index>(); i < n; i += grid_stride<Index>()) {
    y[i] = __fadd_rn(__fmul_rn(a, x[i]), __fmul_rn(b, y[i]));
  }
}

}  // namespace

void axpby(std::size_t n, const float* x, float* y, const float* ab, cudaStream_t stream) {
  if (!n) return;
  with_index_type(n, [&](auto index) {
    using Index = decltype(index);
    axpby_kernel<Index><<<blocks_for(n, kThreads), kThreads, 0, stream>>>(static_cast<Index>(n), x, y, ab);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace wuxia::cuda::kern
