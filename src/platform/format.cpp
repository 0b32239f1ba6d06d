#include "wuxia/platform/format.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace wuxia {

std::string shortest(double x) {
  char buf[40];
  const bool plain = std::fabs(x) >= 1e-4 && std::fabs(x) < 1e15;
  for (int p = 1; p <= 17; ++p) {
    std::snprintf(buf, sizeof buf, "%.*g", p, x);
    if (plain && std::strchr(buf, 'e')) continue;
    if (std::strtod(buf, nullptr) == x) break;
  }
  return buf;
}

}  // namespace wuxia
