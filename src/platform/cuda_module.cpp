// Opening the CUDA module (include/wuxia/platform/cuda_module.hpp).
#include "wuxia/platform/cuda_module.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "wuxia/cuda/module_api.hpp"
#include "wuxia/platform/install_layout.hpp"

namespace wuxia {

std::vector<std::string> cuda_module_candidates() {
  if (const char* env = std::getenv("WUXIA_CUDA_MODULE"); env && *env) return {env};
  std::vector<std::string> out;
  for (const std::string& dir : {executable_dir(), installed_module_dir()}) {
    if (!dir.empty()) out.push_back((std::filesystem::path(dir) / kCudaModuleFile).string());
  }
  return out;
}

namespace {

// A shared library begins with ELF's magic; anything else at the path
// ($WUXIA_CUDA_MODULE=/etc/passwd) is not the module, whatever its name.
bool is_elf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::memcmp(magic,
                                          "\x7f"
                                          "ELF",
                                          4) == 0;
}

}  // namespace

std::string find_cuda_module() {
  std::error_code ec;
  for (const auto& p : cuda_module_candidates()) {
    if (std::filesystem::is_regular_file(p, ec) && is_elf(p)) return p;
  }
  return "";
}

namespace {

struct Opened {
  const cuda::ModuleApi* api = nullptr;
  std::string why_not;
};

Opened open_once() {
  Opened o;
  using Entry = const cuda::ModuleApi* (*)();
  // Linked in (the test binary links the backend): no file to look for.
  auto entry = reinterpret_cast<Entry>(::dlsym(RTLD_DEFAULT, cuda::kModuleEntry));
  if (!entry) {
    const std::string path = find_cuda_module();
    if (path.empty()) {
      std::string looked;
      for (const auto& c : cuda_module_candidates()) looked += (looked.empty() ? "" : ", ") + c;
      o.why_not = std::string("the CUDA module ") + kCudaModuleFile + " is missing (looked for " + looked + ")";
      return o;
    }
    // The driver first: without it the module (and the cuBLAS it pulls in,
    // hundreds of MB) would load for nothing. Handles opened here stay open
    // for the process's life: the backend's code and the runtime's exit
    // handlers live in them.
    if (!::dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL)) {
      o.why_not = "no NVIDIA driver on this machine: libcuda.so.1 not found";
      return o;
    }
    void* module = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!module) {
      const char* err = ::dlerror();
      o.why_not = "the CUDA module " + path + " does not load: " + (err ? err : "unknown error");
      return o;
    }
    entry = reinterpret_cast<Entry>(::dlsym(module, cuda::kModuleEntry));
    if (!entry) {
      o.why_not = "the CUDA module " + path + " has no entry point " + cuda::kModuleEntry + " (not wuxia's?)";
      return o;
    }
  }
  const cuda::ModuleApi* api = entry();
  if (!api || std::strcmp(api->tag, cuda::kModuleTag) != 0) {
    o.why_not = std::string("the CUDA module was built for another wuxia (") + (api ? api->tag : "no tag") +
                "; this is " + cuda::kModuleTag + "): reinstall or rebuild them together";
    return o;
  }
  o.api = api;
  return o;
}

}  // namespace

const cuda::ModuleApi* open_cuda_module(std::string* why_not) {
  static const Opened opened = open_once();
  if (!opened.api && why_not) *why_not = opened.why_not;
  return opened.api;
}

}  // namespace wuxia
