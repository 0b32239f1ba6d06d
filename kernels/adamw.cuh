#pragma once
// Launchers of Backend::grad_norm and Backend::adamw_step (kernels/adamw.cu);
// their contracts (shapes, aliasing, the clipping rule) are in
// include/wuxia/model/backend.hpp. All pointers are device memory; each launcher
// enqueues on `stream` and throws wuxia::Error when a launch fails.
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "wuxia/model/adamw.hpp"

namespace wuxia::cuda::kern {

// Two passes: per-block sums of squares in double, then one block sums those
// in a fixed tree. The grid is a function of n alone (at most kMaxPartials
// blocks), so the order of the additions, and the result, is the same on
// every run and every GPU.
//   partials: [kMaxPartials] doubles of scratch, device, owned by the caller;
//             nothing else may use it until this op has run (same stream).
void grad_norm(std::size_t n, const float* x, float* out, double* partials, cudaStream_t stream);

// One pass; the clipping factor is computed on the device from `norm`, so no
// host sync. Each product and sum is rounded on its own (no FMA contraction),
// as the CPU reference's source reads. `base`: [n] or null, as Backend::adamw_step's.
void adamw_step(std::size_t n, float* param, const float* grad, float* m, float* v, const float* norm,
                const AdamWScalars<float>* s, const uint8_t* base, cudaStream_t stream);

}  // namespace wuxia::cuda::kern
