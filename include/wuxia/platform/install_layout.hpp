#pragma once
// Where wuxia's parts are relative to its executable, so that a build tree
// and an installed tree (cmake --install) both find their data and the CUDA
// module from any working folder, wherever they were copied.
#include <string>

namespace wuxia {

// The folder of the running executable (/proc/self/exe), "" when unknown.
std::string executable_dir();

// Installed layout: bin/wuxia, lib/wuxia/libwuxia_cuda.so,
// share/wuxia/*.txt (the install's libdir and datadir, relative to its
// bindir, as CMakeLists.txt configured them).
std::string installed_data_dir();    // "" when there is no executable dir
std::string installed_module_dir();  // ditto

}  // namespace wuxia
