#pragma once
// Host launchers of the simple ops (kernels/elementwise.cu). All pointers are
// device memory; matrices are dense and row-major; each launcher enqueues on
// `stream` and throws wuxia::Error when the launch fails.
#include <cuda_runtime.h>

#include <cstddef>
#include <string>

namespace wuxia::cuda::kern {

// out[r, c] = b1[c] + b2[c].
//   b1:  [cols] in.   b2: [cols] in, or null (treated as absent, not as zeros added).
//   out: [rows, cols] out; must not alias b1 or b2.
void bias_rows(int rows, int cols, const float* b1, const float* b2, float* out, cudaStream_t stream);

// out[c] = sum_r in[r, c]. Deterministic: each column is reduced by one
// block in a fixed tree, no atomics.
//   in:  [rows, cols] in.   out: [cols] out; must not alias in.
void sum_rows(int rows, int cols, const float* in, float* out, cudaStream_t stream);

// c[i, j] *= beta for i < rows, j < cols, with row stride ldc >= cols: what a
// GEMM with k == 0 does to C (multiplies, so NaN * 0 stays NaN as on the CPU).
//   c: [rows, ldc] in/out.
void scale_matrix(int rows, int cols, float beta, float* c, int ldc, cudaStream_t stream);

// x[i] = value.   x: [n] out.
void fill(std::size_t n, float value, float* x, cudaStream_t stream);

// dst[i] = src[i].   src: [n] in; dst: [n] out; must not overlap.
void copy(std::size_t n, const float* src, float* dst, cudaStream_t stream);

// Whether this binary holds kernel code the current GPU can run (native code
// for its architecture, or PTX the driver can compile). Also brings up the
// CUDA context, so a GPU that is busy in exclusive mode is caught here.
// Never throws; the reason goes to why_not.
bool kernel_image_loads(std::string* why_not);

}  // namespace wuxia::cuda::kern
