// Embedding gather and its deterministic gradient.
//
// The gradient is a scatter-add: several rows of dout may land on the same
// vocabulary row, and float atomics would add them in whatever order the
// hardware schedules, changing the low bits from run to run. Instead each
// block owns one vocabulary row (and a slice of its columns), finds the rows
// of `ids` that point at it, in row order, and adds them in that order in
// registers. This needs no sort, no scratch memory and no second pass, and it
// reproduces the CPU reference exactly (the same additions in the same order).
// The price is that every block scans all n ids: n * v cheap comparisons on
// data that stays in L2, small next to the GEMMs for the vocabularies and
// batches of a name model.
#include "common.cuh"
#include "wuxia/cuda/cuda_check.hpp"
#include "embedding.cuh"

namespace wuxia::cuda::kern {
namespace {

constexpr int kThreads = 256;

// Index (see with_index_type) covers out, [n, e]; the weight row's offset is
// formed in 64 bits, as the vocabulary's size is not known here.
template <class Index>
__global__ void __launch_bounds__(kThreads)
    embedding_forward_kernel(Index n, Index e, const int32_t* __restrict__ ids, const float* __restrict__ weight,
                             float* __restrict__ out) {
  const Index total = n * e;
  for (Index i = grid_first<Index>(); i < total; i += grid_stride<Index>()) {
    const Index r = i / e, c = i % e;
    out[i] = weight[static_cast<std::size_t>(ids[r]) * e + c];
  }
}

// Block (vocab row w = blockIdx.x, column slice blockIdx.y): thread x owns
// column blockIdx.y * kCols + x. The ids are scanned in tiles of kCols; each
// tile's matches are compacted into shared memory in row order (warp ballots
// plus a prefix over the warps), then every thread adds those rows of its
// column, in that order.
constexpr int kCols = 128;
constexpr int kWarps = kCols / 32;

__global__ void __launch_bounds__(kCols)
    embedding_backward_kernel(int n, int e, const int32_t* __restrict__ ids, const float* __restrict__ dout,
                              float* __restrict__ dweight) {
  __shared__ int match[kCols];
  __shared__ int warp_hits[kWarps];
  const int w = blockIdx.x;
  const int col = blockIdx.y * kCols + threadIdx.x;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  float* dst = dweight + static_cast<std::size_t>(w) * e + col;
  float acc = 0.0f;
  bool touched = false;  // the same in every thread of the block
  for (int base = 0; base < n; base += kCols) {
    const int r = base + threadIdx.x;
    const bool hit = r < n && ids[r] == w;
    const unsigned ballot = __ballot_sync(0xffffffffu, hit);
    if (lane == 0) warp_hits[warp] = __popc(ballot);
    __syncthreads();
    int before = 0, count = 0;
    for (int k = 0; k < kWarps; ++k) {
      before += k < warp ? warp_hits[k] : 0;
      count += warp_hits[k];
    }
    if (hit) match[before + __popc(ballot & ((1u << lane) - 1u))] = r;
    __syncthreads();
    if (count > 0) {
      if (!touched && col < e) acc = *dst;  // start from dweight: same order as dst += src on the CPU
      touched = true;
      if (col < e) {
        for (int k = 0; k < count; ++k) acc += dout[static_cast<std::size_t>(match[k]) * e + col];
      }
    }
    __syncthreads();  // match and warp_hits are rewritten by the next tile
  }
  if (touched && col < e) *dst = acc;
}

}  // namespace

void embedding_forward(int n, int e, const int32_t* ids, const float* weight, float* out, cudaStream_t stream) {
  if (n <= 0 || e <= 0) return;
  const std::size_t total = static_cast<std::size_t>(n) * e;
  with_index_type(total, [&](auto index) {
    using Index = decltype(index);
    embedding_forward_kernel<Index><<<blocks_for(total, kThreads), kThreads, 0, stream>>>(
        static_cast<Index>(n), static_cast<Index>(e), ids, weight, out);
    CUDA_CHECK_LAUNCH();
  });
}

void embedding_backward(int n, int e, int v, const int32_t* ids, const float* dout, float* dweight,
                        cudaStream_t stream) {
  if (n <= 0 || e <= 0 || v <= 0) return;
  const dim3 grid(static_cast<unsigned>(v), static_cast<unsigned>((e + kCols - 1) / kCols));
  embedding_backward_kernel<<<grid, kCols, 0, stream>>>(n, e, ids, dout, dweight);
  CUDA_CHECK_LAUNCH();
}

}  // namespace wuxia::cuda::kern
