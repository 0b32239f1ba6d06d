#pragma once
// Launchers of Backend::embedding_forward and embedding_backward
// (kernels/embedding.cu); their contracts (shapes, id range, aliasing) are in
// include/wuxia/model/backend.hpp. Pointers are device memory; each enqueues on
// `stream` and throws wuxia::Error when the launch fails.
#include <cuda_runtime.h>

#include <cstdint>

namespace wuxia::cuda::kern {

void embedding_forward(int n, int e, const int32_t* ids, const float* weight, float* out, cudaStream_t stream);

// A v x ceil(e / 128) grid: one block per vocabulary row and slice of 128
// columns, scanning all n ids and adding its rows' gradients in row order:
// bit for bit the CPU's sums, on every run, with no atomics and no scratch.
// (An id outside [0, v) matches no block, so its row is skipped rather than
// written out of bounds; the contract still asks for ids in range.)
void embedding_backward(int n, int e, int v, const int32_t* ids, const float* dout, float* dweight,
                        cudaStream_t stream);

}  // namespace wuxia::cuda::kern
