#pragma once
// Launchers of Backend::lstm_cell_forward and lstm_cell_backward
// (kernels/lstm_cell.cu); their contracts (gate layout, shapes, which
// pointers may be null or alias) are in include/wuxia/model/backend.hpp. Pointers
// are device memory; each enqueues on `stream` and throws wuxia::Error when
// the launch fails. One thread per element of [b, h], each doing all four
// gates of its element, so c_prev aliasing c is safe (read before written by
// the same thread). Null pointers select a kernel instantiation, not a branch.
#include <cuda_runtime.h>

namespace wuxia::cuda::kern {

void lstm_cell_forward(int b, int h, float* gates, const float* c_prev, float* c, float* h_out, cudaStream_t stream);

void lstm_cell_backward(int b, int h, const float* gates, const float* c_prev, const float* c, const float* dh,
                        const float* dh_rec, float* dc, float* dgates, cudaStream_t stream);

}  // namespace wuxia::cuda::kern
