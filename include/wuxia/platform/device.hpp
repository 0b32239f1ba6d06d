#pragma once
// Choosing the backend a command runs on (--device cpu|cuda|auto, --threads,
// --tf32). Defined in src/platform/device.cpp, the one place that knows both backends:
// it opens the CUDA backend's module (include/wuxia/platform/cuda_module.hpp) when a
// run asks for the GPU, so neither the core library nor the program links
// CUDA.
#include <memory>
#include <string>

#include "wuxia/model/backend.hpp"

namespace wuxia {

enum class DeviceKind { Cpu, Cuda };

// Picks the backend for --device cpu|cuda|auto. `auto` prefers a usable GPU
// and otherwise returns the CPU backend, writing one line to `note` that says
// why. `cuda` without a usable GPU throws wuxia::Error. `tf32` lets the GPU's
// GEMMs use TF32 tensor cores (--tf32).
struct BackendChoice {
  std::unique_ptr<Backend<float>> backend;
  DeviceKind kind;
  std::string note;  // empty unless something needs saying
};
BackendChoice make_backend(const std::string& device, int threads, bool tf32 = false);

// Whether this binary has the CUDA backend and a GPU it can use (reason when not).
bool cuda_available(std::string* why_not = nullptr);
// One line naming the GPU (model, architecture, memory, driver), or why there is none.
std::string gpu_description();

}  // namespace wuxia
