#pragma once
// Math for the CPU backend's element-wise loops and the sampler, written so the compiler can
// vectorise them: branch-free float exp/sigmoid/tanh (libm's expf and tanhf
// are calls the vectoriser cannot see through, and they were a third of a
// training step's time), and a macro that builds a hot loop for three x86-64
// levels with the best picked at load time, so the default binary still runs
// on any x86-64 but uses AVX2/AVX-512 where the CPU has them.
//
// Accuracy: exp within 2 ulp over its range; tanh and sigmoid within 3e-7
// absolute (float rounding near 1). The double overloads are libm's: the
// double backend is the gradient-check reference and stays exact.
#include <cmath>
#include <cstdint>
#include <cstring>

// Function multi-versioning (GCC/Clang on x86-64 with ifunc): one clone per
// ISA level; results may differ in the last bit between levels (FMA
// contraction), never between runs or thread counts on one machine.
// A clone only gets the wider instructions in code inlined into it, so the
// loops it calls are WUXIA_CPU_INLINE (GCC would otherwise keep one shared,
// baseline copy of a large loop).
#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__) && !defined(WUXIA_NO_CLONES)
#define WUXIA_CPU_CLONES __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define WUXIA_CPU_CLONES
#endif
#if defined(__GNUC__)
#define WUXIA_CPU_INLINE inline __attribute__((always_inline))
#else
#define WUXIA_CPU_INLINE inline
#endif

namespace wuxia::cpu::simd {

// e^x for float (Cephes expf: x = n ln2 + r, |r| <= ln2/2, degree-6
// polynomial for e^r, 2^n built in the exponent bits). Inputs are clamped to
// [-87, 88] (results 1.6e-38 .. 1.7e38) so 2^n stays a normal float.
WUXIA_CPU_INLINE float exp(float x) {
  // NaN must come out as NaN (a diverged step has to show in the loss), but it
  // cannot go through the float -> int conversion below, which is undefined
  // for NaN: compute on 0 instead and put the NaN back at the end.
  const float in = x;
  x = x == x ? x : 0.0f;
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  // Round x / ln2 to the nearest integer with the 1.5 * 2^23 trick (no floor
  // call, so SSE2 vectorises it too).
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;  // ln2 split in two: exact n * ln2_hi
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float er = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float two_n;
  std::memcpy(&two_n, &bits, sizeof two_n);
  return in == in ? er * two_n : in;
}

WUXIA_CPU_INLINE float sigmoid(float x) { return 1.0f / (1.0f + simd::exp(-x)); }

// tanh for float: an odd polynomial near 0, where 1 - 2/(e^2x + 1) would
// lose relative precision (Cephes tanhf), and the exp form elsewhere.
WUXIA_CPU_INLINE float tanh(float x) {
  const float ax = x < 0 ? -x : x;
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = x + x * z * p;
  const float big = 1.0f - 2.0f / (simd::exp(2.0f * ax) + 1.0f);
  const float signed_big = x < 0 ? -big : big;
  return ax < 0.625f ? small : signed_big;
}

inline double exp(double x) { return std::exp(x); }
inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
inline double tanh(double x) { return std::tanh(x); }

}  // namespace wuxia::cpu::simd
