#pragma once
// The CUDA backend (src/cuda/, kernels/): Backend<float> on one GPU, GEMMs
// through cuBLAS, fused kernels for the LSTM cell, softmax-cross-entropy,
// embedding, dropout and AdamW. Only declared when built with CUDA.
#include <memory>
#include <string>

#include "wuxia/backend.hpp"

namespace wuxia::cuda {

// True when a CUDA device can be used (driver present, a device visible);
// otherwise false with the reason in why_not. Never throws.
bool device_usable(std::string* why_not);

struct Options {
  bool tf32 = false;  // tensor-core TF32 GEMMs (--tf32); off keeps full FP32
};

// The backend on the current device. Throws wuxia::Error when unusable.
std::unique_ptr<Backend<float>> make_backend(const Options& opts = {});

}  // namespace wuxia::cuda
