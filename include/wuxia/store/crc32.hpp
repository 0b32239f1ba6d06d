#pragma once
// The checksums of wuxia's checkpoints (src/store/safetensors.cpp, DESIGN
// "Checkpoints") and of the lineage a fine-tuned checkpoint records.
#include <cstddef>
#include <cstdint>

namespace wuxia {

// CRC-32 (IEEE 802.3, as zlib's crc32) of `n` bytes at `data`, continuing
// from `crc` (0 to start). Table-driven, about 0.4 GB/s: what checkpoints
// written before CRC-32C carry.
uint32_t crc32(const void* data, std::size_t n, uint32_t crc = 0);

// CRC-32C (Castagnoli, as iSCSI and ext4) of `n` bytes at `data`, continuing
// from `crc`: the SSE4.2 crc32 instruction where the CPU has it (several
// GB/s), a table otherwise. The checksum of checkpoints written now.
uint32_t crc32c(const void* data, std::size_t n, uint32_t crc = 0);

}  // namespace wuxia
