#pragma once
// CRC-32 (IEEE 802.3, as zlib's crc32): the checksum of wuxia's checkpoints
// (src/safetensors.cpp) and of the lineage a fine-tuned checkpoint records.
#include <cstddef>
#include <cstdint>

namespace wuxia {

// CRC-32 of `n` bytes, continuing from `crc` (0 to start).
uint32_t crc32(const void* data, std::size_t n, uint32_t crc = 0);

}  // namespace wuxia
