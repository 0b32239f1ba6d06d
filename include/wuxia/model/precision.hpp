#pragma once
// The arithmetic of a training run's GEMMs (--precision, DESIGN "Backends"):
// FP32 throughout, or BF16 GEMM inputs with FP32 accumulation, everything
// else (master weights, AdamW, cell state, softmax and loss) in FP32.
#include <string>

namespace wuxia {

enum class Precision { kFp32, kBf16 };

// "fp32" or "bf16": the flag's and the checkpoint's spelling.
const char* precision_name(Precision p);
// The inverse of precision_name; throws wuxia::Error naming `where` (a flag
// such as "--precision", or a checkpoint's field) for anything else.
Precision parse_precision(const std::string& s, const std::string& where);

}  // namespace wuxia
