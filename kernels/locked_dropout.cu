// Locked (variational) dropout from the counter-based generator: element i's
// mask bit is a pure function of (seed, purpose, step, i % period), so every
// step of a sequence keeps the same units, the backward pass (the same call
// on the gradient) draws the forward's mask, and the CPU reference draws the
// same without a stored mask.
#include "common.cuh"
#include "locked_dropout.cuh"
#include "wuxia/cuda/cuda_check.hpp"
#include "wuxia/model/rng.hpp"

namespace wuxia::cuda::kern {
namespace {

constexpr int kThreads = 256;

// Index: see with_index_type. Each element draws its own mask bit (the same
// draw as the other steps' copies of it): a Philox block is cheaper on the
// GPU than a pass to store the mask and read it back.
template <class Index>
__global__ void __launch_bounds__(kThreads)
    locked_dropout_kernel(Index n, Index period, float threshold, float keep_scale, uint64_t seed, uint32_t purpose,
                          const uint64_t* __restrict__ step_ptr, const float* in, float* out) {
  // in and out are not __restrict__: the backward pass runs in place.
  const uint64_t step = *step_ptr;
  for (Index i = grid_first<Index>(); i < n; i += grid_stride<Index>()) {
    const uint64_t j = static_cast<uint64_t>(i % period);
    out[i] = rng::uniform(seed, purpose, step, j) >= threshold ? in[i] * keep_scale : 0.0f;
  }
}

}  // namespace

void locked_dropout(std::size_t n, std::size_t period, double p, uint64_t seed, uint32_t purpose, const uint64_t* step,
                    const float* in, float* out, cudaStream_t stream) {
  if (!n) return;
  // Rounded on the host exactly as src/cpu/locked_dropout.cpp rounds them.
  const float threshold = static_cast<float>(p);
  const float keep_scale = 1.0f / (1.0f - static_cast<float>(p));
  with_index_type(n, [&](auto index) {
    using Index = decltype(index);
    locked_dropout_kernel<Index><<<blocks_for(n, kThreads), kThreads, 0, stream>>>(
        static_cast<Index>(n), static_cast<Index>(period < n ? period : n), threshold, keep_scale, seed, purpose,
        step, in, out);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace wuxia::cuda::kern
