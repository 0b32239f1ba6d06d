// Where the bundled data is (include/wuxia/data_files.hpp).
#include "wuxia/data_files.hpp"

#include <filesystem>

namespace wuxia {

std::string bundled_data_dir() {
  if (std::filesystem::exists("data/jinyong.txt")) return "data";
  return WUXIA_SOURCE_DATA_DIR;
}

std::string bundled_data_file(std::string_view name) { return bundled_data_dir() + "/" + std::string(name); }

}  // namespace wuxia
