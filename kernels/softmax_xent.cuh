#pragma once
// Host launcher of the fused masked softmax cross-entropy
// (kernels/softmax_xent.cu); the same math as src/cpu/softmax_xent.cpp.
#include <cuda_runtime.h>

#include <cstdint>

namespace wuxia::cuda::kern {

// Loss and d-logits of `rows` rows of `v` logits in one pass over each row.
//   logits:   [rows, v] in, row-major, device.
//   targets:  [rows] int32 in, device; -1 = padding (zero loss, zero gradient row).
//   scale:    [1] in, device: multiplies the gradient (1 / number of valid
//             targets for a mean); read only when dlogits is given.
//   loss:     [1] out, device: sum of the per-row NLL, reduced in a fixed order.
//   row_loss: [rows] out or null, device: per-row NLL (0 on padding).
//   dlogits:  [rows, v] out or null, device: (softmax - onehot) * scale. May
//             alias logits (every element is read before it is overwritten).
//   partials: [kMaxPartials] doubles of scratch, device, owned by the caller;
//             nothing else may use it until this op has run (same stream).
// Enqueues on `stream`; throws wuxia::Error when a launch fails.
void softmax_xent(int rows, int v, const float* logits, const int32_t* targets, const float* scale, float* loss,
                  float* row_loss, float* dlogits, double* partials, cudaStream_t stream);

}  // namespace wuxia::cuda::kern
