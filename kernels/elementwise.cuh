#pragma once
// Launchers of the simple ops (kernels/elementwise.cu): Backend::bias_rows,
// sum_rows, fill and copy, whose contracts are in include/wuxia/model/backend.hpp,
// and two helpers of the backend's own. Pointers are device memory; each
// launcher enqueues on `stream` and throws wuxia::Error when the launch fails.
#include <cuda_runtime.h>

#include <cstddef>
#include <string>

namespace wuxia::cuda::kern {

void bias_rows(int rows, int cols, const float* b1, const float* b2, float* out, cudaStream_t stream);

// One block per 32 columns; each column reduced in a fixed tree, no atomics.
void sum_rows(int rows, int cols, const float* in, float* out, cudaStream_t stream);

void fill(std::size_t n, float value, float* x, cudaStream_t stream);

// A device-to-device cudaMemcpyAsync (the copy engine), not a kernel.
void copy(std::size_t n, const float* src, float* dst, cudaStream_t stream);

// What a GEMM with k == 0 does to C (cuBLAS rejects the leading dimensions
// such a call may carry): c[i, j] *= beta for i < rows, j < cols. It
// multiplies, so NaN * 0 stays NaN, as on the CPU.
//   c: [rows, ldc] in/out, device, row stride ldc >= cols.
void scale_matrix(int rows, int cols, float beta, float* c, int ldc, cudaStream_t stream);

// Whether this binary holds kernel code the current GPU can run (native code
// for its architecture, or PTX the driver can compile). Also brings up the
// CUDA context, so a GPU that is busy in exclusive mode is caught here.
// Never throws; the reason goes to why_not.
bool kernel_image_loads(std::string* why_not);

}  // namespace wuxia::cuda::kern
