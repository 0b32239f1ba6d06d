// Inverted dropout from the counter-based generator: element i's mask bit is a
// pure function of (seed, purpose, step, i), so the forward pass, its
// backward (the same call on the gradient) and the CPU reference all draw the
// same mask without storing it.
#include "common.cuh"
#include "wuxia/cuda/cuda_check.hpp"
#include "dropout.cuh"
#include "wuxia/model/rng.hpp"

namespace wuxia::cuda::kern {
namespace {

constexpr int kThreads = 256;

// Index: see with_index_type. The generator's counter is the element's index
// as a 64-bit value whatever Index is, so the masks do not depend on it.
template <class Index>
__global__ void __launch_bounds__(kThreads)
    dropout_kernel(Index n, float threshold, float keep_scale, uint64_t seed, uint32_t purpose,
                   const uint64_t* __restrict__ step_ptr, const float* in, float* out) {
  // in and out are not __restrict__: the backward pass runs in place.
  const uint64_t step = *step_ptr;
  for (Index i = grid_first<Index>(); i < n; i += grid_stride<Index>()) {
    out[i] = rng::uniform(seed, purpose, step, static_cast<uint64_t>(i)) >= threshold ? in[i] * keep_scale : 0.0f;
  }
}

}  // namespace

void dropout(std::size_t n, double p, uint64_t seed, uint32_t purpose, const uint64_t* step, const float* in, float* out,
             cudaStream_t stream) {
  if (!n) return;
  // Rounded on the host exactly as src/cpu/dropout.cpp rounds them.
  const float threshold = static_cast<float>(p);
  const float keep_scale = 1.0f / (1.0f - static_cast<float>(p));
  with_index_type(n, [&](auto index) {
    using Index = decltype(index);
    dropout_kernel<Index><<<blocks_for(n, kThreads), kThreads, 0, stream>>>(static_cast<Index>(n), threshold,
                                                                            keep_scale, seed, purpose, step, in, out);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace wuxia::cuda::kern
