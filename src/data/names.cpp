#include "wuxia/data/names.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <unordered_set>

#include "wuxia/data/utf8.hpp"
#include "wuxia/platform/error.hpp"

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

static void trim(std::u32string& cps) {
  std::size_t b = 0, e = cps.size();
  while (b < e && is_space(cps[b])) ++b;
  while (e > b && is_space(cps[e - 1])) --e;
  cps.erase(e).erase(0, b);
}

// "U+001B" for a control character found, "" when there is none.
static std::string control_character(const std::u32string& cps) {
  for (char32_t c : cps) {
    if (c < 0x20 || c == 0x7F) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(c));
      return hex;
    }
  }
  return "";
}

std::u32string parse_name_arg(const std::string& arg, const std::string& what) {
  std::u32string cps = utf8::decode_or_throw(arg, what);
  trim(cps);
  if (cps.empty()) throw Error(what + ": empty (a name needs at least one character besides white space)");
  const std::string control = control_character(cps);
  if (!control.empty()) throw Error(what + ": control character " + control + " in a name");
  if (cps.size() > kMaxNameLength) {
    throw Error(what + ": " + std::to_string(cps.size()) + " characters long; a name has at most " +
                std::to_string(kMaxNameLength));
  }
  return cps;
}

namespace {
// Hashes and compares names by their index in a NameFile's list, so that the
// set of names seen holds no second copy of each.
struct NameIndex {
  const std::vector<std::u32string>* names;
  std::size_t operator()(std::size_t i) const { return std::hash<std::u32string>{}((*names)[i]); }
  bool operator()(std::size_t a, std::size_t b) const { return (*names)[a] == (*names)[b]; }
};

// Closes a file descriptor when it goes out of scope.
struct FileDescriptor {
  int fd;
  ~FileDescriptor() { ::close(fd); }
};

// Names as their bytes arrive: each line is handled as soon as it ends (at
// LF, CRLF or a lone CR), and a line is refused the moment it grows past
// kMaxLineBytes, so that a file with no line breaks (/dev/zero, a binary)
// costs at most that much before the error names it.
class NameParser {
 public:
  NameParser(const std::string& where, const std::string& style) : index_{&out_.names}, seen_(0, index_, index_) {
    out_.style = style;
    out_.path = where;
  }

  void feed(std::string_view bytes) {
    while (!bytes.empty()) {
      if (skip_lf_) {
        skip_lf_ = false;
        if (bytes[0] == '\n') {
          bytes.remove_prefix(1);
          continue;
        }
      }
      const auto end = bytes.find_first_of("\r\n");
      const std::string_view piece = bytes.substr(0, end);
      if (partial_.size() + piece.size() > kMaxLineBytes) {
        throw Error(out_.path + ":" + std::to_string(line_no_ + 1) + ": line is longer than " +
                    std::to_string(kMaxLineBytes) + " bytes; a name has at most " + std::to_string(kMaxNameLength) +
                    " characters (is this a list of names, one per line?)");
      }
      if (end == std::string_view::npos) {
        partial_.append(piece);
        return;
      }
      skip_lf_ = bytes[end] == '\r';
      if (partial_.empty()) {
        line(piece);
      } else {
        partial_.append(piece);
        line(partial_);
        partial_.clear();
      }
      bytes.remove_prefix(end + 1);
    }
  }

  // Names go to `each` (with their line numbers, repeats kept) instead of
  // the NameFile.
  void send_to(const std::function<void(std::u32string, std::size_t)>& each) { each_ = each; }

  NameFile finish() {
    if (!partial_.empty()) line(partial_);  // the last line, without a line break
    if (each_) return std::move(out_);
    if (out_.names.empty())
      throw Error(out_.path + ": no names (the file is empty or has only blank and comment lines)");
    return std::move(out_);
  }

 private:
  void line(std::string_view line) {
    ++line_no_;
    if (line_no_ == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    // "<where>:<line>", built only for an error message.
    const auto at = [&] { return out_.path + ":" + std::to_string(line_no_); };
    std::optional<std::u32string> decoded = utf8::decode(line);
    if (!decoded) utf8::decode_or_throw(line, at());  // fails again, with the message naming byte and reason
    std::u32string& cps = *decoded;
    trim(cps);
    if (cps.empty()) {
      ++out_.blank_lines;
      return;
    }
    if (cps[0] == U'#') {
      ++out_.comment_lines;
      return;
    }
    const std::string control = control_character(cps);
    if (!control.empty()) throw Error(at() + ": control character " + control + " in a name (is this a text file?)");
    if (cps.size() > kMaxNameLength) {
      throw Error(at() + ": line is " + std::to_string(cps.size()) + " characters long; a name has at most " +
                  std::to_string(kMaxNameLength));
    }
    if (each_) {
      each_(std::move(cps), line_no_);
      return;
    }
    out_.names.push_back(std::move(cps));
    if (!seen_.insert(out_.names.size() - 1).second) {
      out_.names.pop_back();
      ++out_.duplicates;
    }
  }

  NameFile out_;
  NameIndex index_;
  std::unordered_set<std::size_t, NameIndex, NameIndex> seen_;
  std::string partial_;   // the line read so far, when a read ended inside it
  bool skip_lf_ = false;  // the last line ended at a CR: an LF next is part of its CRLF
  std::size_t line_no_ = 0;
  std::function<void(std::u32string, std::size_t)> each_;
};

}  // namespace

NameFile parse_names(std::string_view text, const std::string& where, const std::string& style) {
  NameParser p(where, style);
  p.feed(text);
  return p.finish();
}

namespace {

// Feeds the file at `path` to `p` as its bytes arrive.
void read_into(const std::string& path, NameParser& p) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": cannot open: " + std::strerror(errno));
  const FileDescriptor closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) throw Error(path + ": is a directory, not a file");
  std::vector<char> buf(1 << 16);
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(path + ": read error: " + std::strerror(errno));
    }
    p.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)));
  }
}

}  // namespace

NameFile load_name_file(const std::string& path, const std::string& style) {
  NameParser p(path, style);
  read_into(path, p);
  return p.finish();
}

void for_each_name_line(const std::string& path, const std::function<void(std::u32string, std::size_t)>& each) {
  NameParser p(path, "");
  p.send_to(each);
  read_into(path, p);
  p.finish();
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
  const auto add = [](std::unordered_map<std::u32string, int>& to, const std::vector<std::vector<std::u32string>>& lists) {
    for (std::size_t s = 0; s < lists.size(); ++s) {
      for (const auto& n : lists[s]) {
        const auto [it, fresh] = to.emplace(n, static_cast<int>(s));
        if (!fresh && it->second != static_cast<int>(s)) it->second = kSeveralStyles;
      }
    }
  };
  add(k.train, train);
  add(k.val, val);
  return k;
}

bool NameSets::of_another_style(const std::u32string& n, int style) const {
  int holder = kSeveralStyles;  // none found yet
  bool found = false;
  for (const auto* m : {&train, &val}) {
    const auto it = m->find(n);
    if (it == m->end()) continue;
    if (it->second == style || it->second == kSeveralStyles || (found && it->second != holder)) return false;
    holder = it->second;
    found = true;
  }
  return found;
}

}  // namespace wuxia
