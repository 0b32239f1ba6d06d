#pragma once
// Host launcher of inverted dropout (kernels/dropout.cu); the same masks as
// src/cpu/dropout.cpp, bit for bit, because both draw from rng::uniform.
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace wuxia::cuda::kern {

// out[i] = rng::uniform(seed, purpose, *step, i) >= p ? in[i] / (1 - p) : 0,
// with 1 / (1 - p) rounded to float once, as the CPU does. p in [0, 1).
//   step: [1] in, device (so a recorded step replays with the current value).
//   in:   [n] in, device.   out: [n] out, device; may alias in (element-wise).
void dropout(std::size_t n, double p, uint64_t seed, uint32_t purpose, const uint64_t* step, const float* in, float* out,
             cudaStream_t stream);

}  // namespace wuxia::cuda::kern
