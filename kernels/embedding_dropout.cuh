#pragma once
// Launcher of Backend::embedding_dropout (kernels/embedding_dropout.cu); its
// contract (the mask over token ids, shapes, in-place use) is in
// include/wuxia/model/backend.hpp. Pointers are device memory (ids: [n] int32);
// enqueues on `stream`, throws wuxia::Error when the launch fails. The masks
// are the CPU's bit for bit (src/cpu/embedding_dropout.cpp): both draw
// rng::uniform with the row's token id as the index, and 1 / (1 - p) is
// rounded to float once on the host. `step` is read on the device, so a
// recorded step replays with the current value.
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace wuxia::cuda::kern {

void embedding_dropout(int n, int e, const int32_t* ids, double p, uint64_t seed, uint32_t purpose,
                       const uint64_t* step, const float* in, float* out, cudaStream_t stream);

}  // namespace wuxia::cuda::kern
