// Embedding dropout (AWD-LSTM's embedded_dropout) on gathered rows: a row's
// mask bit is a pure function of (seed, purpose, step, its token id), so a
// token is dropped at every place it occurs, the backward pass (the same call
// on the gradient) draws the forward's mask, and the CPU reference the same.
#include "common.cuh"
#include "embedding_dropout.cuh"
#include "wuxia/cuda/cuda_check.hpp"
#include "wuxia/model/rng.hpp"

namespace wuxia::cuda::kern {
namespace {

constexpr int kThreads = 256;

// A grid-stride loop over the n * e elements; each draws its row's bit (e
// draws of the same value per row, cheaper than a second pass over a mask).
template <class Index>
__global__ void __launch_bounds__(kThreads)
    embedding_dropout_kernel(Index total, Index e, const int32_t* __restrict__ ids, float threshold,
                             float keep_scale, uint64_t seed, uint32_t purpose,
                             const uint64_t* __restrict__ step_ptr, const float* in, float* out) {
  // in and out are not __restrict__: the backward pass runs in place.
  const uint64_t step = *step_ptr;
  for (Index i = grid_first<Index>(); i < total; i += grid_stride<Index>()) {
    const uint64_t id = static_cast<uint64_t>(ids[i / e]);
    out[i] = rng::uniform(seed, purpose, step, id) >= threshold ? in[i] * keep_scale : 0.0f;
  }
}

}  // namespace

void embedding_dropout(int n, int e, const int32_t* ids, double p, uint64_t seed, uint32_t purpose,
                       const uint64_t* step, const float* in, float* out, cudaStream_t stream) {
  const std::size_t total = static_cast<std::size_t>(n) * static_cast<std::size_t>(e);
  if (!total) return;
  // Rounded on the host exactly as src/cpu/embedding_dropout.cpp rounds them.
  const float threshold = static_cast<float>(p);
  const float keep_scale = 1.0f / (1.0f - static_cast<float>(p));
  with_index_type(total, [&](auto index) {
    using Index = decltype(index);
    embedding_dropout_kernel<Index><<<blocks_for(total, kThreads), kThreads, 0, stream>>>(
        static_cast<Index>(total), static_cast<Index>(e), ids, threshold, keep_scale, seed, purpose, step, in, out);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace wuxia::cuda::kern
