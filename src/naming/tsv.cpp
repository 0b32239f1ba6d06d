#include "tsv.hpp"

#include "wuxia/data/utf8.hpp"
#include "wuxia/platform/error.hpp"

namespace wuxia::naming {

void fail_at(const std::string& path, std::size_t line, const std::string& what) {
  throw Error(path + ":" + std::to_string(line) + ": " + what);
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto tab = line.find('\t');
    out.push_back(line.substr(0, tab));
    if (tab == std::string_view::npos) return out;
    line.remove_prefix(tab + 1);
  }
}

void check_line(std::string_view line, const std::string& path, std::size_t line_no) {
  if (line.find('\r') != std::string_view::npos) fail_at(path, line_no, "carriage return (the tables are LF only)");
  utf8::DecodeError e;
  if (!utf8::decode(line, &e)) {
    fail_at(path, line_no, "invalid UTF-8 at byte " + std::to_string(e.offset) + ": " + e.reason);
  }
}

}  // namespace wuxia::naming
