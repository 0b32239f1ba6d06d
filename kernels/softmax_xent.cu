// Fused masked softmax cross-entropy. A block walks its rows one at a time;
// for each row its threads keep an online (max, sum of exp) pair over a
// strided slice, the pairs are merged in a fixed tree, and a second sweep
// writes the gradient. The row's NLL is added, in row order, to the block's
// double-precision partial; a one-block kernel then sums the partials in a
// fixed tree into loss[0]. No float atomics anywhere, so the loss has the same
// bits on every run.
#include <cfloat>

#include "common.cuh"
#include "wuxia/cuda/cuda_check.hpp"
#include "softmax_xent.cuh"

namespace wuxia::cuda::kern {
namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;

// Running log-sum-exp state: m = max seen, s = sum of exp(x - m).
// {-inf, 0} is the empty state, and only it has s == 0: the first element
// seen makes s 1 (x > -inf) or NaN (x NaN or -inf: exp(NaN), exp(-inf - -inf)),
// and from then on s is at least 1 (the max's own term) or stays NaN. m is never NaN (x > m is false for a NaN
// x), so a NaN logit lives on in s alone, which therefore must not be dropped.
struct MaxSum {
  float m;
  float s;
};

__device__ __forceinline__ bool is_empty(MaxSum a) { return a.s == 0.0f && a.m == -INFINITY; }

__device__ __forceinline__ MaxSum merge(MaxSum a, MaxSum b) {
  // An empty side (a thread past the end of a short row) must not produce
  // exp(-inf - -inf) = NaN. A side with m = -inf that has seen a NaN or only
  // -inf is not empty: its s is NaN and has to reach the result, as the CPU
  // reference's NaN does (src/cpu/softmax_xent.cpp: a NaN anywhere in a
  // valid row makes its loss and every d-logit NaN).
  if (is_empty(a)) return b;
  if (is_empty(b)) return a;
  const float m = fmaxf(a.m, b.m);
  return {m, a.s * expf(a.m - m) + b.s * expf(b.m - m)};
}

__device__ __forceinline__ MaxSum warp_merge_to_lane0(MaxSum v) {
  for (int off = 16; off > 0; off >>= 1) {
    MaxSum o;
    o.m = __shfl_down_sync(0xffffffffu, v.m, off);
    o.s = __shfl_down_sync(0xffffffffu, v.s, off);
    v = merge(v, o);
  }
  return v;
}

// Fixed-tree merge over the block; all threads get the result.
__device__ __forceinline__ MaxSum block_merge(MaxSum v, MaxSum* smem /*[kWarps + 1]*/) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warp_merge_to_lane0(v);
  if (lane == 0) smem[warp] = v;
  __syncthreads();
  if (warp == 0) {
    MaxSum w = lane < kWarps ? smem[lane] : MaxSum{-INFINITY, 0.0f};
    w = warp_merge_to_lane0(w);
    if (lane == 0) smem[kWarps] = w;
  }
  __syncthreads();
  const MaxSum total = smem[kWarps];
  __syncthreads();  // smem is reused by the next row
  return total;
}

template <bool kHasRowLoss, bool kHasDlogits>
__global__ void __launch_bounds__(kThreads)
    softmax_xent_rows(int rows, int v, int rows_per_block, const float* logits, const int32_t* __restrict__ targets,
                      const float* __restrict__ scale_ptr, float* __restrict__ row_loss, float* dlogits,
                      double* __restrict__ partials) {
  // logits and dlogits are not __restrict__: they may be the same buffer.
  const float scale = kHasDlogits ? *scale_ptr : 0.0f;
  __shared__ MaxSum smem[kWarps + 1];
  const int r0 = blockIdx.x * rows_per_block;
  const int r1 = min(rows, r0 + rows_per_block);
  double block_nll = 0.0;  // used by thread 0 only
  for (int r = r0; r < r1; ++r) {
    const float* x = logits + static_cast<std::size_t>(r) * v;
    float* dx = kHasDlogits ? dlogits + static_cast<std::size_t>(r) * v : nullptr;
    const int t = targets[r];  // the same for the whole block: the branch below is uniform
    if (t < 0) {
      if (kHasDlogits) {
        for (int j = threadIdx.x; j < v; j += kThreads) dx[j] = 0.0f;
      }
      if (kHasRowLoss && threadIdx.x == 0) row_loss[r] = 0.0f;
      continue;
    }
    // Read before block_merge's barriers: after them, the thread that owns
    // column t may already have overwritten it (dlogits aliasing logits).
    const float xt = threadIdx.x == 0 ? x[t] : 0.0f;
    MaxSum acc{-INFINITY, 0.0f};
    for (int j = threadIdx.x; j < v; j += kThreads) {
      const float xj = x[j];
      // A NaN xj takes the else branch and makes s NaN for good (see MaxSum).
      if (xj > acc.m) {
        acc.s = acc.s * expf(acc.m - xj) + 1.0f;  // exp(-inf) = 0 on the first element
        acc.m = xj;
      } else {
        acc.s += expf(xj - acc.m);
      }
    }
    const MaxSum all = block_merge(acc, smem);
    if (kHasDlogits) {
      // exp(x - max) / sum rather than exp(x - lse): lse = max + log(sum)
      // rounds at ulp(max), which for large logits is a visible relative
      // error in every probability; this form has none of it.
      const float k = scale / all.s;
      for (int j = threadIdx.x; j < v; j += kThreads) {
        float d = expf(x[j] - all.m) * k;
        if (j == t) d -= scale;
        dx[j] = d;
      }
    }
    if (threadIdx.x == 0) {
      const float nll = all.m + logf(all.s) - xt;
      if (kHasRowLoss) row_loss[r] = nll;
      block_nll += static_cast<double>(nll);
    }
  }
  if (threadIdx.x == 0) partials[blockIdx.x] = block_nll;
}

}  // namespace

void softmax_xent(int rows, int v, const float* logits, const int32_t* targets, const float* scale, float* loss,
                  float* row_loss, float* dlogits, double* partials, cudaStream_t stream) {
  if (rows < 0) rows = 0;
  // As many blocks as the partial buffer holds: about what an H100 keeps
  // resident at this block size, and a grid fixed by `rows` alone.
  const int rows_per_block = rows > 0 ? (rows + kMaxPartials - 1) / kMaxPartials : 1;
  const int blocks = rows > 0 ? (rows + rows_per_block - 1) / rows_per_block : 0;
  if (blocks > 0) {
    const bool has_rl = row_loss != nullptr, has_dl = dlogits != nullptr;
    if (has_rl && has_dl) {
      softmax_xent_rows<true, true><<<blocks, kThreads, 0, stream>>>(rows, v, rows_per_block, logits, targets, scale,
                                                                     row_loss, dlogits, partials);
    } else if (has_rl) {
      softmax_xent_rows<true, false><<<blocks, kThreads, 0, stream>>>(rows, v, rows_per_block, logits, targets, scale,
                                                                      row_loss, nullptr, partials);
    } else if (has_dl) {
      softmax_xent_rows<false, true><<<blocks, kThreads, 0, stream>>>(rows, v, rows_per_block, logits, targets, scale,
                                                                      nullptr, dlogits, partials);
    } else {
      softmax_xent_rows<false, false><<<blocks, kThreads, 0, stream>>>(rows, v, rows_per_block, logits, targets,
                                                                       nullptr, nullptr, nullptr, partials);
    }
    CUDA_CHECK_LAUNCH();
  }
  finish_partials<false><<<1, kReduceThreads, 0, stream>>>(blocks, partials, loss);
  CUDA_CHECK_LAUNCH();
}

}  // namespace wuxia::cuda::kern
