// Where the bundled data is (include/wuxia/data/data_files.hpp).
#include "wuxia/data/data_files.hpp"

#include <filesystem>

#include "wuxia/platform/install_layout.hpp"

namespace wuxia {

std::string bundled_data_dir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  // An installed wuxia: its own share/wuxia, whatever the working folder.
  const std::string installed = installed_data_dir();
  if (!installed.empty() && fs::exists(fs::path(installed) / "jinyong.txt", ec)) return installed;
  if (fs::exists("data/jinyong.txt", ec)) return "data";
  return WUXIA_SOURCE_DATA_DIR;
}

std::string bundled_data_file(std::string_view name) { return bundled_data_dir() + "/" + std::string(name); }

}  // namespace wuxia
