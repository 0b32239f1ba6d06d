// The entry point of libwuxia_cuda.so (include/wuxia/cuda/module_api.hpp): the
// one symbol src/platform/device.cpp looks up after dlopen.
#include "wuxia/cuda/module_api.hpp"

extern "C" const wuxia::cuda::ModuleApi* wuxia_cuda_module_api() {
  static const wuxia::cuda::ModuleApi api{wuxia::cuda::kModuleTag, &wuxia::cuda::device_usable,
                                          &wuxia::cuda::device_description, &wuxia::cuda::make_backend};
  return &api;
}
