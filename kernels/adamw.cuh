#pragma once
// Host launchers of the optimizer ops (kernels/adamw.cu): the global gradient
// norm and one AdamW step, the same arithmetic as src/cpu/adamw.cpp.
#include <cuda_runtime.h>

#include <cstddef>

#include "wuxia/adamw.hpp"

namespace wuxia::cuda::kern {

// out[0] = sqrt(sum x[i]^2), accumulated in double in an order fixed by n.
//   x:        [n] in, device.   out: [1] out, device.
//   partials: [kMaxPartials] doubles of scratch, device, owned by the caller.
void grad_norm(std::size_t n, const float* x, float* out, double* partials, cudaStream_t stream);

// One AdamW step over flat buffers, with torch's global-norm clipping: the
// gradient is scaled by min(1, clip / (norm[0] + 1e-6)) when s->clip > 0.
// The factor is computed on the device from `norm`, so no host sync.
//   param: [n] in/out.   grad: [n] in.   m, v: [n] in/out (moments).
//   norm:  [1] in (from grad_norm).   s: [1] in, this step's scalars.
//   All device; none may alias another.
void adamw_step(std::size_t n, float* param, const float* grad, float* m, float* v, const float* norm,
                const AdamWScalars<float>* s, cudaStream_t stream);

}  // namespace wuxia::cuda::kern
