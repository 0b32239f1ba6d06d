#pragma once
// The CUDA backend (src/cuda/, kernels/): Backend<float> on one GPU, GEMMs
// through cuBLAS, fused kernels for the LSTM cell, softmax-cross-entropy,
// embedding, dropout and AdamW. Built as its own shared library,
// libwuxia_cuda.so (the only part of wuxia that links cudart and cuBLAS):
// the program opens it at run time when a run asks for the GPU
// (src/platform/device.cpp, DESIGN "Backends"); the GPU tests link it directly.
#include <memory>
#include <string>

#include "wuxia/model/backend.hpp"

// What the module exports; everything else in it is hidden.
#define WUXIA_CUDA_API __attribute__((visibility("default")))

namespace wuxia::cuda {

// True when a CUDA device can be used (driver present, a device visible, and
// this binary holds kernel code that device runs); otherwise false with the
// reason in why_not. Never throws.
WUXIA_CUDA_API bool device_usable(std::string* why_not);

// One line naming the current device (name, architecture, SMs, memory,
// driver and runtime versions), or why there is none. Never throws.
WUXIA_CUDA_API std::string device_description();

struct Options {
  bool tf32 = false;  // tensor-core TF32 GEMMs (--tf32); off keeps full FP32
};

// The backend on the current device. Throws wuxia::Error when unusable.
// All of its ops run in order on one stream of its own; they are
// deterministic: the same inputs give the same bits on every run on a given
// GPU (cuBLAS included, as it gets a workspace of its own), recorded into a
// CUDA Graph (record/replay) or not. upload() of any size copies through a
// ring of pinned staging buffers (never from pageable memory, which may
// synchronise the stream), so it waits only when it gets the ring's 16 MiB
// ahead of the GPU.
WUXIA_CUDA_API std::unique_ptr<Backend<float>> make_backend(const Options& opts = {});

}  // namespace wuxia::cuda
