#pragma once
// Launcher of Backend::cast_bf16 (kernels/cast_bf16.cu); its contract is in
// include/wuxia/model/backend.hpp. Pointers are device memory; the launcher
// enqueues on `stream` and throws wuxia::Error when the launch fails.
#include <cuda_runtime.h>

#include <cstddef>

#include "wuxia/model/bf16.hpp"

namespace wuxia::cuda::kern {

// One pass, rounding with bf16_round_bits (the CPU reference's function), so
// the GPU's bfloat16 operands are the CPU's bit for bit.
//   in: [n] float.   out: [n] bfloat16 out; must not overlap in.
void cast_bf16(std::size_t n, const float* in, Bf16* out, cudaStream_t stream);

}  // namespace wuxia::cuda::kern
