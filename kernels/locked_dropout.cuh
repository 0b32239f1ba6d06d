#pragma once
// Launcher of Backend::locked_dropout (kernels/locked_dropout.cu); its
// contract (the mask rule, shapes, in-place use) is in
// include/wuxia/model/backend.hpp. Pointers are device memory; enqueues on
// `stream`, throws wuxia::Error when the launch fails. The masks are the
// CPU's bit for bit (src/cpu/locked_dropout.cpp): both draw rng::uniform
// with the 64-bit index i % period, and 1 / (1 - p) is rounded to float once
// on the host. `step` is read on the device, so a recorded step replays with
// the current value.
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace wuxia::cuda::kern {

void locked_dropout(std::size_t n, std::size_t period, double p, uint64_t seed, uint32_t purpose, const uint64_t* step,
                    const float* in, float* out, cudaStream_t stream);

}  // namespace wuxia::cuda::kern
