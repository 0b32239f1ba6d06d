// Any bytes given to the name-file parser either parse or raise wuxia::Error,
// and what parses holds only clean names.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wuxia/data/names.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/platform/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Parsed in place: ASan sees a read past the fuzzer's exact-size buffer.
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const wuxia::NameFile f = wuxia::parse_names(text, "fuzz", "s");
    for (const auto& n : f.names) {
      if (n.empty() || n.size() > wuxia::kMaxNameLength || n[0] == U'#') std::abort();
      for (char32_t c : n) {
        if (c < 0x20) std::abort();
      }
      if (wuxia::utf8::decode(wuxia::utf8::encode(n)) != n) std::abort();
    }
  } catch (const wuxia::Error&) {
  }
  return 0;
}
