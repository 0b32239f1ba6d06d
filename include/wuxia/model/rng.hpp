#pragma once
// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011). A draw is
// a pure function of (seed, purpose, step, index), so the CPU and the GPU draw
// the same dropout masks, and a resumed run draws exactly what an
// uninterrupted run would have. Usable from host and device code.
#include <cstdint>

#if defined(__CUDACC__)
#define WUXIA_HD __host__ __device__ __forceinline__
#else
#define WUXIA_HD inline
#endif

namespace wuxia::rng {

// What a stream of draws is for; part of the counter so streams never overlap.
enum Purpose : uint32_t {
  kInit = 1,
  kShuffle = 2,
  kBatchOrder = 3,
  kValSplit = 4,
  kSample = 5,
  kDropout = 16,  // + dropout site index (layer input l, or the output)
  // The AWD-LSTM regularisers (--locked-dropout, --weight-drop,
  // --embed-dropout); layers <= 16, so each range of sites is disjoint.
  kLockedDropout = 48,  // + site index, as kDropout's (layer 0's input is the embeddings)
  kWeightDrop = 80,     // + layer: the mask on weight_hh_l{layer}
  kEmbedDropout = 112,  // the mask on the embedding's rows (one per token id)
};

WUXIA_HD void philox_round(uint32_t& c0, uint32_t& c1, uint32_t& c2, uint32_t& c3, uint32_t k0, uint32_t k1) {
  const uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * c0;
  const uint64_t p1 = static_cast<uint64_t>(0xCD9E8D57u) * c2;
  const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
  const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
  c0 = hi1 ^ c1 ^ k0;
  c1 = lo1;
  c2 = hi0 ^ c3 ^ k1;
  c3 = lo0;
}

// Philox4x32-10 of counter (index lo, index hi, step lo, step hi ^ purpose<<16)
// under key seed; returns the first 64 bits of the output block.
WUXIA_HD uint64_t draw64(uint64_t seed, uint32_t purpose, uint64_t step, uint64_t index) {
  uint32_t c0 = static_cast<uint32_t>(index), c1 = static_cast<uint32_t>(index >> 32);
  uint32_t c2 = static_cast<uint32_t>(step), c3 = static_cast<uint32_t>(step >> 32) ^ (purpose * 0x9E3779B9u);
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    philox_round(c0, c1, c2, c3, k0, k1);
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return (static_cast<uint64_t>(c1) << 32) | c0;
}

// Uniform in [0, 1) with 24 random bits: exactly representable in float, so
// host and device compare it against a threshold identically.
WUXIA_HD float uniform(uint64_t seed, uint32_t purpose, uint64_t step, uint64_t index) {
  return static_cast<float>(draw64(seed, purpose, step, index) >> 40) * (1.0f / 16777216.0f);
}

// Uniform in [0, 1) with 53 random bits.
WUXIA_HD double uniform_double(uint64_t seed, uint32_t purpose, uint64_t step, uint64_t index) {
  return static_cast<double>(draw64(seed, purpose, step, index) >> 11) * (1.0 / 9007199254740992.0);
}

// Uniform integer in [0, n), n > 0 (multiply-shift; bias below 2^-32 for n < 2^32).
WUXIA_HD uint64_t below(uint64_t n, uint64_t seed, uint32_t purpose, uint64_t step, uint64_t index) {
  const uint64_t r = draw64(seed, purpose, step, index) >> 32;
  return (r * n) >> 32;
}

}  // namespace wuxia::rng
