#include "wuxia/names.hpp"

#include <cctype>
#include <filesystem>
#include <optional>
#include <unordered_set>

#include "wuxia/error.hpp"
#include "wuxia/file_io.hpp"
#include "wuxia/utf8.hpp"

namespace wuxia {

DataSpec parse_data_spec(const std::string& arg) {
  const auto eq = arg.find('=');
  if (eq != std::string::npos && eq > 0) {
    const std::string style = arg.substr(0, eq);
    // "C:=..." or paths with '=' in them are unusual; a style is a plain word.
    bool plain = true;
    for (char c : style) plain &= (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
    if (plain) return {style, arg.substr(eq + 1)};
  }
  std::string stem = std::filesystem::path(arg).stem().string();
  if (stem.empty()) stem = "names";
  return {stem, arg};
}

static bool is_space(char32_t c) {
  return c == U' ' || c == U'\t' || c == U'\r' || c == U'\v' || c == U'\f' || c == 0x3000 || c == 0xA0;
}

namespace {
// Hashes and compares names by their index in a NameFile's list, so that the
// set of names seen holds no second copy of each.
struct NameIndex {
  const std::vector<std::u32string>* names;
  std::size_t operator()(std::size_t i) const { return std::hash<std::u32string>{}((*names)[i]); }
  bool operator()(std::size_t a, std::size_t b) const { return (*names)[a] == (*names)[b]; }
};
}  // namespace

NameFile parse_names(std::string_view text, const std::string& where, const std::string& style) {
  NameFile out;
  out.style = style;
  out.path = where;
  std::string_view rest(text);
  if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);
  const NameIndex index{&out.names};
  std::unordered_set<std::size_t, NameIndex, NameIndex> seen(0, index, index);
  std::size_t line_no = 0;
  while (!rest.empty()) {
    ++line_no;
    const auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    // "<where>:<line>", built only for an error message.
    const auto at = [&] { return where + ":" + std::to_string(line_no); };
    std::optional<std::u32string> decoded = utf8::decode(line);
    if (!decoded) utf8::decode_or_throw(line, at());  // fails again, with the message naming byte and reason
    std::u32string& cps = *decoded;
    std::size_t b = 0, e = cps.size();
    while (b < e && is_space(cps[b])) ++b;
    while (e > b && is_space(cps[e - 1])) --e;
    cps.erase(e).erase(0, b);
    if (cps.empty()) {
      ++out.blank_lines;
      continue;
    }
    if (cps[0] == U'#') {
      ++out.comment_lines;
      continue;
    }
    for (char32_t c : cps) {
      if (c < 0x20 || c == 0x7F) {
        throw Error(at() + ": control character U+" + std::to_string(static_cast<unsigned>(c)) +
                    " in a name (is this a text file?)");
      }
    }
    if (cps.size() > kMaxNameLength) {
      throw Error(at() + ": line is " + std::to_string(cps.size()) + " characters long; a name has at most " +
                  std::to_string(kMaxNameLength));
    }
    out.names.push_back(std::move(cps));
    if (!seen.insert(out.names.size() - 1).second) {
      out.names.pop_back();
      ++out.duplicates;
    }
  }
  if (out.names.empty()) throw Error(where + ": no names (the file is empty or has only blank and comment lines)");
  return out;
}

NameFile load_name_file(const std::string& path, const std::string& style) {
  return parse_names(read_whole_file(path), path, style);
}

std::string describe(const NameFile& f) {
  std::string s = f.path + " [" + f.style + "]: " + std::to_string(f.names.size()) + " names";
  std::string extra;
  auto add = [&](std::size_t n, const char* what) {
    if (!n) return;
    extra += (extra.empty() ? "" : ", ") + std::to_string(n) + " " + what;
  };
  add(f.duplicates, "duplicates dropped");
  add(f.comment_lines, "comment lines");
  add(f.blank_lines, "blank lines");
  if (!extra.empty()) s += " (" + extra + ")";
  return s;
}

const char* origin_label(NameOrigin o) {
  switch (o) {
    case NameOrigin::Train: return "train";
    case NameOrigin::Val: return "val";
    default: return "new";
  }
}

NameSets NameSets::of(const std::vector<std::vector<std::u32string>>& train,
                      const std::vector<std::vector<std::u32string>>& val) {
  NameSets k;
  for (const auto& l : train) k.train.insert(l.begin(), l.end());
  for (const auto& l : val) k.val.insert(l.begin(), l.end());
  return k;
}

}  // namespace wuxia
