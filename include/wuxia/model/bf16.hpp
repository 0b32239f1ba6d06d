#pragma once
// bfloat16 (--precision bf16, DESIGN "Backends"): the top 16 bits of an IEEE
// float (sign, 8 exponent bits, 7 mantissa bits), as the GEMM inputs of a
// BF16 training step are stored in backend memory (__nv_bfloat16's layout on
// the GPU). The rounding is written once, here, for host and device alike,
// so the CPU reference and the CUDA kernel round every value to the same bits.
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define WUXIA_BF16_HD __host__ __device__ __forceinline__
#else
#define WUXIA_BF16_HD inline
#endif

namespace wuxia {

// One bfloat16 value's bits. A struct rather than uint16_t, so that a
// bfloat16 buffer cannot be passed where integers are meant.
struct Bf16 {
  uint16_t bits;
};

// A float's bits rounded to bfloat16: to nearest, ties to even (the carry of
// a rounded-up mantissa moves into the exponent, so the largest finite floats
// round to infinity, as IEEE rounding does). A NaN stays a NaN of the same
// sign, made quiet: truncating a signalling NaN whose payload sits in the low
// 16 bits would otherwise give an infinity. Infinities and subnormals keep
// their value class (bfloat16 has float's exponent range).
WUXIA_BF16_HD uint16_t bf16_round_bits(uint32_t u) {
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x0040u);
  return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

// Host conversions (the device reads and writes the bits directly).
inline Bf16 to_bf16(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return Bf16{bf16_round_bits(u)};
}
// Exact: every bfloat16 value is a float.
inline float from_bf16(Bf16 h) {
  const uint32_t u = static_cast<uint32_t>(h.bits) << 16;
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

}  // namespace wuxia
