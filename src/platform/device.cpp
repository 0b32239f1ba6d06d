// Backend selection for --device (include/wuxia/platform/device.hpp).
#include <memory>

#include "wuxia/platform/device.hpp"

#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/platform/error.hpp"

#if WUXIA_HAVE_CUDA
#include "wuxia/cuda/module_api.hpp"
#include "wuxia/platform/cuda_module.hpp"
#endif

namespace wuxia {

#if WUXIA_HAVE_CUDA
namespace {
// The CUDA backend's functions: linked in where WUXIA_CUDA_LINKED is set (a
// build that makes one program of everything, such as a host emulation of
// the CUDA runtime: DESIGN "Backends"), else from the module, opened on first use.
const cuda::ModuleApi* cuda_api(std::string* why_not) {
#if WUXIA_CUDA_LINKED
  (void)why_not;
  static const cuda::ModuleApi api{cuda::kModuleTag, &cuda::device_usable, &cuda::device_description,
                                   &cuda::make_backend};
  return &api;
#else
  return open_cuda_module(why_not);
#endif
}
}  // namespace
#endif

bool cuda_available(std::string* why_not) {
#if WUXIA_HAVE_CUDA
  const cuda::ModuleApi* api = cuda_api(why_not);
  return api && api->device_usable(why_not);
#else
  if (why_not) *why_not = "this wuxia was built without the CUDA backend";
  return false;
#endif
}

std::string gpu_description() {
#if WUXIA_HAVE_CUDA
  std::string why;
  const cuda::ModuleApi* api = cuda_api(&why);
  return api ? api->device_description() : "no usable CUDA device (" + why + ")";
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
      c.backend = cuda_api(nullptr)->make_backend(o);
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
