#include "wuxia/model/precision.hpp"

#include "wuxia/platform/error.hpp"

namespace wuxia {

const char* precision_name(Precision p) { return p == Precision::kBf16 ? "bf16" : "fp32"; }

Precision parse_precision(const std::string& s, const std::string& where) {
  if (s == "fp32") return Precision::kFp32;
  if (s == "bf16") return Precision::kBf16;
  throw Error(where + " " + s + ": expected fp32 or bf16");
}

}  // namespace wuxia
