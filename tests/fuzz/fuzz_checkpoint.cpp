// Any bytes given to the checkpoint loader either load or raise wuxia::Error:
// never a crash, a hang, a sanitizer report or another exception.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wuxia/platform/error.hpp"
#include "wuxia/store/checkpoint.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Parsed in place: ASan sees a read past the fuzzer's exact-size buffer.
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const wuxia::Checkpoint ck = wuxia::parse_checkpoint(bytes, "fuzz");
    // What loads must be usable: the vocabulary agrees with the config.
    if (ck.vocab().size() != ck.config.vocab) std::abort();
  } catch (const wuxia::Error&) {
  }
  return 0;
}
