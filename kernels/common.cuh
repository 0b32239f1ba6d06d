#pragma once
// Pieces shared by the kernel files: launch sizing and deterministic block
// reductions. Every reduction here combines values in an order fixed by the
// thread and block indices alone, so a result does not change from run to run
// or with scheduling (DESIGN "Backends": no order-dependent float atomics).
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace wuxia::cuda::kern {

// Capacity of the per-block partial sums that multi-block reductions write
// (the backend owns one buffer of this many doubles). Grid sizes of those
// reductions depend only on the problem size, never on the GPU, so the
// summation order, and the result, is the same on every card.
inline constexpr int kMaxPartials = 1024;

// Blocks for a grid-stride loop over n items; capped because each thread
// loops, and a huge grid only adds scheduling work.
inline unsigned blocks_for(std::size_t n, int threads, std::size_t cap = 65535) {
  std::size_t b = (n + static_cast<std::size_t>(threads) - 1) / static_cast<std::size_t>(threads);
  if (b < 1) b = 1;
  return static_cast<unsigned>(b < cap ? b : cap);
}

// Calls launch(Index{}) with the index type of a kernel's element loop:
// std::uint32_t when every index the kernel forms is below `extent` < 2^31
// (the loop's i + grid stride then stays below 2^32 too: grids are capped far
// below 2^31 / threads), else std::size_t. On the GPU a 64-bit `/` or `%` is
// a software routine of dozens of instructions and a 32-bit one a few
// multiplies; as a template argument the choice costs the kernel no branch.
template <class F>
void with_index_type(std::size_t extent, F&& launch) {
  if (extent < (std::size_t{1} << 31)) {
    launch(std::uint32_t{});
  } else {
    launch(std::size_t{});
  }
}

#if defined(__CUDACC__)

// The first index and the stride of a grid-stride loop, in Index.
template <class Index>
__device__ __forceinline__ Index grid_first() {
  return static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
}
template <class Index>
__device__ __forceinline__ Index grid_stride() {
  return static_cast<Index>(gridDim.x) * blockDim.x;
}

// Sum over a warp; the total is valid in lane 0 only. shfl_down pairs lanes
// in a fixed tree. (An xor butterfly would leave every lane with the total,
// but summed in a different order per lane, so lanes could disagree.)
template <class T>
__device__ __forceinline__ T warp_sum_to_lane0(T v) {
  for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
  return v;
}

// Sum over the block (kThreads a multiple of 32, at most 1024); every thread
// gets the same total. `smem` holds kThreads / 32 + 1 elements. Ends with a
// barrier so the caller may call it again right away.
template <int kThreads, class T>
__device__ __forceinline__ T block_sum(T v, T* smem) {
  static_assert(kThreads % 32 == 0 && kThreads <= 1024, "block size");
  constexpr int kWarps = kThreads / 32;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warp_sum_to_lane0(v);
  if (lane == 0) smem[warp] = v;
  __syncthreads();
  if (warp == 0) {
    T w = lane < kWarps ? smem[lane] : T(0);
    w = warp_sum_to_lane0(w);
    if (lane == 0) smem[kWarps] = w;
  }
  __syncthreads();
  const T total = smem[kWarps];
  __syncthreads();
  return total;
}

// Second pass of the deterministic two-pass reductions (the loss of
// softmax_xent, grad_norm): one block sums the `count` per-block partials of
// the first pass in a fixed tree into out[0], or its square root with kSqrt.
constexpr int kReduceThreads = 1024;

template <bool kSqrt>
__global__ void __launch_bounds__(kReduceThreads)
    finish_partials(int count, const double* __restrict__ partials, float* __restrict__ out) {
  __shared__ double smem[kReduceThreads / 32 + 1];
  double s = 0.0;
  for (int i = threadIdx.x; i < count; i += kReduceThreads) s += partials[i];
  s = block_sum<kReduceThreads>(s, smem);
  if (threadIdx.x == 0) out[0] = static_cast<float>(kSqrt ? sqrt(s) : s);
}

#endif  // __CUDACC__

}  // namespace wuxia::cuda::kern
