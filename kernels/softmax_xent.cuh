#pragma once
// Launcher of Backend::softmax_xent (kernels/softmax_xent.cu); its contract
// (shapes, padding, the gradient's scale, NaN, dlogits aliasing logits) is in
// include/wuxia/model/backend.hpp. Pointers are device memory; enqueues on `stream`
// and throws wuxia::Error when a launch fails.
#include <cuda_runtime.h>

#include <cstdint>

namespace wuxia::cuda::kern {

// At most kMaxPartials blocks of 256 threads, ceil(rows / kMaxPartials) rows
// each; a block's row NLLs are summed in row order into its double partial,
// and one more block sums the partials in a fixed tree into loss[0]: the
// grid, and so the summation order, depends on `rows` alone, so the loss has
// the same bits on every run and every GPU.
//   partials: [kMaxPartials] doubles of scratch, device, owned by the caller;
//             nothing else may use it until this op has run (same stream).
void softmax_xent(int rows, int v, const float* logits, const int32_t* targets, const float* scale, float* loss,
                  float* row_loss, float* dlogits, double* partials, cudaStream_t stream);

}  // namespace wuxia::cuda::kern
