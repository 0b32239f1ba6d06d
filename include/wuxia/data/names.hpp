#pragma once
// Name lists: UTF-8 files, one name per line. Each file is one style (the
// corpus a name came from). Loading is strict about encoding and honest about
// what it drops: every skipped line is counted in the report.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace wuxia {

// Longest name accepted, in code points; longer lines are an error, not a name.
inline constexpr std::size_t kMaxNameLength = 64;
// Longest line read, in bytes (room for a longest name in 4-byte characters
// and white space around it): a longer line is refused as it arrives, before
// the rest of it is read.
inline constexpr std::size_t kMaxLineBytes = 4096;

struct NameFile {
  std::string style;                  // e.g. "jinyong"
  std::string path;                   // where it was read from
  std::vector<std::u32string> names;  // in file order, duplicates removed
  std::size_t blank_lines = 0;
  std::size_t comment_lines = 0;
  std::size_t duplicates = 0;  // repeated names dropped (first kept)
};

// Parses "STYLE=PATH" or "PATH" (style = the file's stem).
struct DataSpec {
  std::string style;
  std::string path;
};
DataSpec parse_data_spec(const std::string& arg);

// Reads one name file as a stream. Lines end at LF, CRLF or a lone CR.
// Strips a leading BOM and surrounding white space (ASCII and U+3000); skips
// blank lines and lines starting with '#'. Throws wuxia::Error naming file
// and line for invalid UTF-8, control characters (NUL included; as U+001B),
// names longer than kMaxNameLength, a line longer than kMaxLineBytes (as
// soon as it is), an unreadable path or a directory, and a file with no
// names at all.
NameFile load_name_file(const std::string& path, const std::string& style);

// The names of the file at `path`, read as load_name_file reads it (each
// line bounded as it arrives, the same checks and errors naming file and
// line) but handed to `each` in order with their line numbers, repeats kept
// and an empty file no error: for commands that answer line by line.
void for_each_name_line(const std::string& path,
                        const std::function<void(std::u32string name, std::size_t line)>& each);

// Parses names from text already in memory; `where` names it in errors.
NameFile parse_names(std::string_view text, const std::string& where, const std::string& style);

// A name given on the command line, trimmed as a file's lines are. Throws
// wuxia::Error starting with `what` (say, "name ' '") when it is empty after
// trimming, not UTF-8, holds a control character or is too long.
std::u32string parse_name_arg(const std::string& arg, const std::string& what);

// One line summary: "data/jinyong.txt: 912 names (3 duplicates dropped, 15 comment lines)".
std::string describe(const NameFile& f);

// Whether a name is one a model was trained on, validated on, or new.
enum class NameOrigin { New, Train, Val };
const char* origin_label(NameOrigin o);  // "new", "train", "val"

// Known names, to label samples, to enforce --novel and to keep a style's
// list to its own style's names.
struct NameSets {
  // Each name with the style whose list holds it, or kSeveralStyles when
  // more than one style's list does.
  static constexpr int kSeveralStyles = -1;
  std::unordered_map<std::u32string, int> train, val;
  // From per-style lists (a checkpoint's train_names and val_names; index =
  // style).
  static NameSets of(const std::vector<std::vector<std::u32string>>& train,
                     const std::vector<std::vector<std::u32string>>& val);
  NameOrigin origin(const std::u32string& n) const {
    return train.count(n) ? NameOrigin::Train : val.count(n) ? NameOrigin::Val : NameOrigin::New;
  }
  // Whether the name is in the lists (train or val) of one other style and
  // not in `style`'s: a Gu Long list does not offer Jin Yong's 欧阳克. A name
  // two styles' lists hold is never counted as another style's.
  bool of_another_style(const std::u32string& n, int style) const;
};

}  // namespace wuxia
