// Paths relative to the executable (include/wuxia/platform/install_layout.hpp).
#include "wuxia/platform/install_layout.hpp"

#include <filesystem>
#include <system_error>

// Set by CMakeLists.txt from the install's bindir, libdir and datadir; these
// are GNUInstallDirs' defaults, for builds made without it.
#ifndef WUXIA_BIN_TO_DATA
#define WUXIA_BIN_TO_DATA "../share/wuxia"
#endif
#ifndef WUXIA_BIN_TO_MODULES
#define WUXIA_BIN_TO_MODULES "../lib/wuxia"
#endif

namespace wuxia {

std::string executable_dir() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

namespace {
std::string beside_executable(const char* relative) {
  const std::string dir = executable_dir();
  return dir.empty() ? dir : (std::filesystem::path(dir) / relative).lexically_normal().string();
}
}  // namespace

std::string installed_data_dir() { return beside_executable(WUXIA_BIN_TO_DATA); }
std::string installed_module_dir() { return beside_executable(WUXIA_BIN_TO_MODULES); }

}  // namespace wuxia
