#pragma once
// The one exception type wuxia throws for bad input and failed operations.
// Messages name the file, line or field at fault; the CLI prints them as-is.
#include <stdexcept>
#include <string>

namespace wuxia {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace wuxia
