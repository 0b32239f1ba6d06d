// data/ill_omened.txt (include/wuxia/naming/ill_omened.hpp).
#include "wuxia/naming/ill_omened.hpp"

#include "tsv.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/file_io.hpp"

namespace wuxia {

IllOmened IllOmened::parse(std::string_view text, const std::string& path) {
  IllOmened t;
  naming::for_each_record(text, path, 2, [&](const std::vector<std::string_view>& f, std::size_t line) {
    const char32_t c = naming::one_char(f[0], path, line, "char");
    if (!t.reasons_.emplace(c, std::string(f[1])).second) {
      naming::fail_at(path, line, "char '" + std::string(f[0]) + "' is listed twice");
    }
  });
  if (t.reasons_.empty()) throw Error(path + ": no characters");
  return t;
}

IllOmened IllOmened::load(const std::string& path) { return parse(read_whole_file(path), path); }

const std::string* IllOmened::reason(char32_t c) const {
  const auto it = reasons_.find(c);
  return it == reasons_.end() ? nullptr : &it->second;
}

}  // namespace wuxia
