#pragma once
// The naming tables' shared text format (docs/NAMING.md, data/README.md):
// UTF-8, LF, `# ` header lines first, then one record per line, fields
// separated by one TAB. Private to src/naming/.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wuxia::naming {

// Calls `row(fields, line_no)` for every record of `text` (read from `path`,
// named in errors). A record with a field count other than `columns` (0 = any),
// an empty field, a CR, a BOM or invalid UTF-8 throws wuxia::Error
// "<path>:<line>: <why>". Header lines are only allowed before the first record.
template <class Row>
void for_each_record(std::string_view text, const std::string& path, std::size_t columns, Row&& row);

// A CJK ideograph: the basic block, Extension A, and the supplementary planes' extensions.
inline bool is_ideograph(char32_t c) {
  return (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x20000 && c <= 0x3FFFF);
}

// Throws wuxia::Error "<path>:<line>: <what>".
[[noreturn]] void fail_at(const std::string& path, std::size_t line, const std::string& what);

// The fields of one line, split on TAB (views into the line).
std::vector<std::string_view> split_tabs(std::string_view line);

// Exactly one code point, else an error naming `what` (the column).
char32_t one_char(std::string_view field, const std::string& path, std::size_t line, const std::string& what);
// A whole number in 0..max, else an error naming `what`.
int64_t count_field(std::string_view field, const std::string& path, std::size_t line, const std::string& what,
                    int64_t max);

// Checks one line's form (UTF-8, no CR); throws through fail_at.
void check_line(std::string_view line, const std::string& path, std::size_t line_no);

template <class Row>
void for_each_record(std::string_view text, const std::string& path, std::size_t columns, Row&& row) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") fail_at(path, 1, "starts with a byte-order mark (write UTF-8 without one)");
  std::size_t line_no = 0;
  bool in_header = true;
  while (!text.empty()) {
    ++line_no;
    const auto nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    check_line(line, path, line_no);
    if (line.substr(0, 2) == "# ") {
      if (!in_header) fail_at(path, line_no, "a header line ('# ') after the first record");
      continue;
    }
    in_header = false;
    const std::vector<std::string_view> f = split_tabs(line);
    if (columns && f.size() != columns) {
      fail_at(path, line_no,
              std::to_string(f.size()) + " field(s), expected " + std::to_string(columns) + " separated by TAB");
    }
    for (std::size_t i = 0; i < f.size(); ++i) {
      if (f[i].empty()) fail_at(path, line_no, "field " + std::to_string(i + 1) + " is empty");
    }
    row(f, line_no);
  }
}

}  // namespace wuxia::naming
