// Backend selection for --device (include/wuxia/device.hpp).
#include <memory>

#include "wuxia/device.hpp"

#include "wuxia/cpu_backend.hpp"
#include "wuxia/error.hpp"

#if WUXIA_HAVE_CUDA
#include "wuxia/cuda_backend.hpp"
#endif

namespace wuxia {

bool cuda_available(std::string* why_not) {
#if WUXIA_HAVE_CUDA
  return cuda::device_usable(why_not);
#else
  if (why_not) *why_not = "this wuxia was built without the CUDA backend";
  return false;
#endif
}

std::string gpu_description() {
#if WUXIA_HAVE_CUDA
  return cuda::device_description();
#else
  return "no CUDA backend in this build";
#endif
}

BackendChoice make_backend(const std::string& device, int threads, bool tf32) {
  if (device != "cpu" && device != "cuda" && device != "auto") {
    throw Error("--device " + device + ": expected cpu, cuda or auto");
  }
  BackendChoice c;
  if (device != "cpu") {
    std::string why;
    if (cuda_available(&why)) {
#if WUXIA_HAVE_CUDA
      cuda::Options o;
      o.tf32 = tf32;
      c.backend = cuda::make_backend(o);
      c.kind = DeviceKind::Cuda;
      return c;
#endif
    }
    if (device == "cuda") throw Error("--device cuda: no usable GPU: " + why);
    c.note = "device auto: no usable GPU (" + why + "); running on the CPU";
  }
  if (tf32) c.note += std::string(c.note.empty() ? "" : "\n") + "--tf32 only changes GPU GEMMs: no effect on the CPU";
  c.backend = std::make_unique<cpu::CpuBackend<float>>(threads);
  c.kind = DeviceKind::Cpu;
  return c;
}

}  // namespace wuxia
