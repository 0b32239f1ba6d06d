#pragma once
// Launcher of Backend::axpby (kernels/axpby.cu); its contract is in
// include/wuxia/model/backend.hpp. Pointers are device memory; the launcher
// enqueues on `stream` and throws wuxia::Error when the launch fails.
#include <cuda_runtime.h>

#include <cstddef>

namespace wuxia::cuda::kern {

// One pass; the weights are read on the device (a recorded step replays with
// this step's). Each product and sum is rounded on its own (no FMA
// contraction), as the CPU reference's source reads, so the two agree bit
// for bit.
void axpby(std::size_t n, const float* x, float* y, const float* ab, cudaStream_t stream);

}  // namespace wuxia::cuda::kern
