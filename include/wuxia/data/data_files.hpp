#pragma once
// Where wuxia finds the data it ships (the name lists, and the character
// tables the naming commands read): one place, so that every command finds
// the same files whether it runs in a checkout or from an installed tree.
#include <string>
#include <string_view>

namespace wuxia {

// The folder holding the bundled data: an installed wuxia's share/wuxia
// (found from its executable: include/wuxia/platform/install_layout.hpp), else data/
// in the working folder when it holds the bundled lists (a checkout), else
// the source tree's data/ this binary was built from.
std::string bundled_data_dir();
// bundled_data_dir() + "/" + name.
std::string bundled_data_file(std::string_view name);

}  // namespace wuxia
