#pragma once
// Numbers as a person reads and types them, in messages and in --help.
#include <string>

namespace wuxia {

// The shortest text that reads back as `x`, without an exponent where the
// value is as a user types it: 0.8, 20 and 1e-05, not 0.800000 or 2e+01.
std::string shortest(double x);

}  // namespace wuxia
