#pragma once
// Reading whole input files with errors that say what went wrong (a folder,
// a missing or unreadable file, a failing read), as name files and
// checkpoints both need.
#include <string>

namespace wuxia {

// The bytes of the file at `path`. Throws wuxia::Error "<path>: <why>".
std::string read_whole_file(const std::string& path);

}  // namespace wuxia
