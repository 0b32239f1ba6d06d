// FP32 to bfloat16, for the GEMM inputs of --precision bf16: the weights'
// shadow copies (once a pass) and the activations and gradients fed to GEMMs.
#include <cstring>

#include "cast_bf16.cuh"
#include "common.cuh"
#include "wuxia/cuda/cuda_check.hpp"

namespace wuxia::cuda::kern {
namespace {

constexpr int kThreads = 256;

// The rounding is bf16_round_bits on the float's bits, not
// __float2bfloat16_rn, which turns every NaN into one canonical NaN: the CPU
// reference keeps a NaN's sign, and the parity test compares bits.
template <class Index>
__global__ void __launch_bounds__(kThreads)
    cast_bf16_kernel(Index n, const float* __restrict__ in, uint16_t* __restrict__ out) {
  for (Index i = grid_first<Index>(); i < n; i += grid_stride<Index>()) {
    uint32_t u;
    memcpy(&u, &in[i], sizeof u);  // the float's bits (one register move on the GPU)
    out[i] = bf16_round_bits(u);
  }
}

}  // namespace

void cast_bf16(std::size_t n, const float* in, Bf16* out, cudaStream_t stream) {
  if (!n) return;
  // Bf16 is one uint16_t (a standard-layout struct of one member), so the
  // kernel writes the bits directly.
  static_assert(sizeof(Bf16) == sizeof(uint16_t), "Bf16 is one 16-bit word");
  auto* bits = reinterpret_cast<uint16_t*>(out);
  with_index_type(n, [&](auto index) {
    using Index = decltype(index);
    cast_bf16_kernel<Index><<<blocks_for(n, kThreads), kThreads, 0, stream>>>(static_cast<Index>(n), in, bits);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace wuxia::cuda::kern
