// CRC-32 and CRC-32C (include/wuxia/store/crc32.hpp).
#include "wuxia/store/crc32.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace wuxia {

namespace {

// Byte-at-a-time table for the reflected polynomial `poly`.
std::array<uint32_t, 256> make_table(uint32_t poly) {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = c & 1 ? poly ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}

uint32_t table_crc(const std::array<uint32_t, 256>& table, const void* data, std::size_t n, uint32_t crc) {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (std::size_t i = 0; i < n; ++i) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(const void* data, std::size_t n, uint32_t crc) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t c = ~crc;
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);  // unaligned: tensor data sits at any offset
    c = _mm_crc32_u64(c, v);
  }
  auto c32 = static_cast<uint32_t>(c);
  for (; n; --n, ++p) c32 = _mm_crc32_u8(c32, *p);
  return ~c32;
}
#endif

}  // namespace

uint32_t crc32(const void* data, std::size_t n, uint32_t crc) {
  static const auto table = make_table(0xEDB88320u);
  return table_crc(table, data, n, crc);
}

uint32_t crc32c(const void* data, std::size_t n, uint32_t crc) {
#if defined(__x86_64__)
  static const bool hw = __builtin_cpu_supports("sse4.2");
  if (hw) return crc32c_sse42(data, n, crc);
#endif
  static const auto table = make_table(0x82F63B78u);
  return table_crc(table, data, n, crc);
}

}  // namespace wuxia
