#pragma once
// Host launchers of the embedding lookup and its gradient
// (kernels/embedding.cu); the same math as src/cpu/embedding.cpp.
#include <cuda_runtime.h>

#include <cstdint>

namespace wuxia::cuda::kern {

// out[r, :] = weight[ids[r], :].
//   ids:    [n] int32 in [0, v), device.
//   weight: [v, e] in, device.   out: [n, e] out, device; must not alias weight.
void embedding_forward(int n, int e, const int32_t* ids, const float* weight, float* out, cudaStream_t stream);

// dweight[ids[r], :] += dout[r, :] for every r, each element summed in row
// order: bit for bit what the CPU reference computes, on every run.
//   ids:     [n] int32 in [0, v), device (rows with other ids are ignored).
//   dout:    [n, e] in, device.
//   dweight: [v, e] in/out, device: accumulated into; must not alias dout.
void embedding_backward(int n, int e, int v, const int32_t* ids, const float* dout, float* dweight,
                        cudaStream_t stream);

}  // namespace wuxia::cuda::kern
