#pragma once
// The arithmetic of a training run's GEMMs (--precision, DESIGN "Backends"):
// FP32 throughout, or BF16 GEMM inputs with FP32 accumulation, everything
// else (master weights, AdamW, cell state, softmax and loss) in FP32.
// Inline, so that every program that reads a checkpoint's settings (the
// fuzz targets, which name their sources one by one, included) has it.
#include <string>

#include "wuxia/platform/error.hpp"

namespace wuxia {

enum class Precision { kFp32, kBf16 };

// "fp32" or "bf16": the flag's and the checkpoint's spelling.
inline const char* precision_name(Precision p) { return p == Precision::kBf16 ? "bf16" : "fp32"; }

// The inverse of precision_name; throws wuxia::Error naming `where` (a flag
// such as "--precision", or a checkpoint's field) for anything else.
inline Precision parse_precision(const std::string& s, const std::string& where) {
  if (s == "fp32") return Precision::kFp32;
  if (s == "bf16") return Precision::kBf16;
  throw Error(where + " " + s + ": expected fp32 or bf16");
}

}  // namespace wuxia
