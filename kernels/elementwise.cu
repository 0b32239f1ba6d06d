// The simple ops: bias broadcast, column sums, fill, copy (and the GEMM's k = 0 scaling of C). Memory-bound
// one-pass kernels; sum_rows is the only reduction and is deterministic.
#include "common.cuh"
#include "wuxia/cuda/cuda_check.hpp"
#include "elementwise.cuh"

namespace wuxia::cuda::kern {
namespace {

constexpr int kThreads = 256;

template <bool kHasB2, class Index>
__global__ void __launch_bounds__(kThreads)
    bias_rows_kernel(Index total, Index cols, const float* __restrict__ b1, const float* __restrict__ b2,
                     float* __restrict__ out) {
  for (Index i = grid_first<Index>(); i < total; i += grid_stride<Index>()) {
    const Index c = i % cols;
    out[i] = kHasB2 ? b1[c] + b2[c] : b1[c];
  }
}

// A block owns kTile consecutive columns (one warp-wide, so row reads are
// coalesced) and kGroups row groups: thread (x, y) sums rows y, y + kGroups,
// ... of column x in row order, then the kGroups partial sums are combined in
// a fixed tree. No atomics, so every run gives the same bits.
constexpr int kTile = 32, kGroups = 32;

__global__ void __launch_bounds__(kTile* kGroups)
    sum_rows_kernel(int rows, int cols, const float* __restrict__ in, float* __restrict__ out) {
  __shared__ float part[kGroups][kTile + 1];  // +1: no bank conflicts on the column-wise tree
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int c = blockIdx.x * kTile + tx;
  float acc = 0.0f;
  if (c < cols) {
    for (int r = ty; r < rows; r += kGroups) acc += in[static_cast<std::size_t>(r) * cols + c];
  }
  part[ty][tx] = acc;
  __syncthreads();
  for (int half = kGroups / 2; half > 0; half >>= 1) {
    if (ty < half) part[ty][tx] += part[ty + half][tx];
    __syncthreads();
  }
  if (ty == 0 && c < cols) out[c] = part[0][tx];
}

template <class Index>
__global__ void __launch_bounds__(kThreads)
    scale_matrix_kernel(Index rows, Index cols, float beta, float* __restrict__ c, Index ldc) {
  const Index total = rows * cols;
  for (Index i = grid_first<Index>(); i < total; i += grid_stride<Index>()) {
    const Index r = i / cols, col = i % cols;
    c[r * ldc + col] *= beta;
  }
}

template <class Index>
__global__ void __launch_bounds__(kThreads) fill_kernel(Index n, float value, float* __restrict__ x) {
  for (Index i = grid_first<Index>(); i < n; i += grid_stride<Index>()) x[i] = value;
}

}  // namespace

void bias_rows(int rows, int cols, const float* b1, const float* b2, float* out, cudaStream_t stream) {
  if (rows <= 0 || cols <= 0) return;
  const std::size_t total = static_cast<std::size_t>(rows) * cols;
  const unsigned blocks = blocks_for(total, kThreads);
  with_index_type(total, [&](auto index) {
    using Index = decltype(index);
    const auto n = static_cast<Index>(total), c = static_cast<Index>(cols);
    if (b2) {
      bias_rows_kernel<true, Index><<<blocks, kThreads, 0, stream>>>(n, c, b1, b2, out);
    } else {
      bias_rows_kernel<false, Index><<<blocks, kThreads, 0, stream>>>(n, c, b1, nullptr, out);
    }
    CUDA_CHECK_LAUNCH();
  });
}

void sum_rows(int rows, int cols, const float* in, float* out, cudaStream_t stream) {
  if (cols <= 0) return;
  const dim3 block(kTile, kGroups);
  const unsigned blocks = static_cast<unsigned>((cols + kTile - 1) / kTile);
  sum_rows_kernel<<<blocks, block, 0, stream>>>(rows < 0 ? 0 : rows, cols, in, out);
  CUDA_CHECK_LAUNCH();
}

void scale_matrix(int rows, int cols, float beta, float* c, int ldc, cudaStream_t stream) {
  if (rows <= 0 || cols <= 0) return;
  const std::size_t total = static_cast<std::size_t>(rows) * cols;
  // The largest index formed is below rows * ldc (ldc >= cols).
  with_index_type(static_cast<std::size_t>(rows) * ldc, [&](auto index) {
    using Index = decltype(index);
    scale_matrix_kernel<Index><<<blocks_for(total, kThreads), kThreads, 0, stream>>>(
        static_cast<Index>(rows), static_cast<Index>(cols), beta, c, static_cast<Index>(ldc));
    CUDA_CHECK_LAUNCH();
  });
}

void fill(std::size_t n, float value, float* x, cudaStream_t stream) {
  if (!n) return;
  with_index_type(n, [&](auto index) {
    using Index = decltype(index);
    fill_kernel<Index><<<blocks_for(n, kThreads), kThreads, 0, stream>>>(static_cast<Index>(n), value, x);
    CUDA_CHECK_LAUNCH();
  });
}

void copy(std::size_t n, const float* src, float* dst, cudaStream_t stream) {
  if (!n) return;
  // The copy engine path: no kernel needed, and it runs at full bandwidth.
  CUDA_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(float), cudaMemcpyDeviceToDevice, stream));
}

bool kernel_image_loads(std::string* why_not) {
  cudaFuncAttributes attr{};
  const cudaError_t e = cudaFuncGetAttributes(&attr, fill_kernel<std::uint32_t>);
  if (e == cudaSuccess) return true;
  cudaGetLastError();  // not sticky, but leave no error behind for later checks
  if (why_not) {
    *why_not = std::string("cannot load wuxia's GPU kernels: ") + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) +
               ")";
    if (e == cudaErrorNoKernelImageForDevice || e == cudaErrorInvalidDeviceFunction ||
        e == cudaErrorUnsupportedPtxVersion) {
      *why_not += "; rebuild with -DWUXIA_CUDA_ARCHITECTURES set to this GPU's architecture";
    }
  }
  return false;
}

}  // namespace wuxia::cuda::kern
