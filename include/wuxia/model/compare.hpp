#pragma once
// How far a computed tensor is from its reference, and whether that is within
// tolerance: the one rule that `wuxia verify` and the GPU parity tests apply
// (the CPU backend is the reference the GPU is checked against).
//
// An element passes when |got - ref| <= atol + rtol * s, where s is the
// element's own |ref| (Scale::Element: an op's rounding error grows with its
// value) or the tensor's largest |ref| (Scale::Tensor: whole-model gradients
// have entries that are ~0 up to rounding, whose element-relative error says
// nothing about the backend). NaN matches NaN and an infinity the same
// infinity; anything else non-finite on one side is a mismatch.
#include <cstddef>
#include <string>
#include <vector>

namespace wuxia {

// The relative tolerance of whole-model tensors (Scale::Tensor) between two
// backends that both round their GEMM inputs to bfloat16 (--precision bf16):
// `verify --precision bf16`'s default and the GPU parity tests'. Both round
// the same FP32 weights to the same bits, but an activation whose FP32 value
// differs in its last bits between the two (another summation order, another
// exp) rounds to a neighbouring bfloat16 value when it lies near a rounding
// boundary: an error of up to 2^-8 of that input, against FP32's ~1e-7
// (docs/DESIGN.md "Backends" has the measurement behind this figure).
inline constexpr double kBf16ModelRtol = 1e-2;

struct Tolerance {
  enum class Scale { Element, Tensor };
  double atol = 0;
  double rtol = 0;
  Scale scale = Scale::Element;
};

struct Diff {
  std::size_t n = 0;                // elements compared
  std::size_t bad = 0;              // elements outside the tolerance
  double max_abs = 0;               // max |got - ref| over the elements finite on both sides
  double ref_max = 0;               // max |ref| over the finite elements
  bool nonfinite_mismatch = false;  // NaN/Inf on one side that the other does not have
  bool size_mismatch = false;       // got and ref differ in length: nothing compared
  struct Mismatch {
    std::size_t index;
    double got, ref;
  };
  std::vector<Mismatch> first;  // the first few elements outside the tolerance
  Tolerance tol;

  bool ok() const { return bad == 0; }
  // max_abs relative to the tensor's scale (inf on a non-finite mismatch): the figure verify prints.
  double rel() const;
  // "3 of 1000 elements off (atol 1e-06, rtol 0.001 of each |ref|): [12] got 0.5 ref 0.25, ..."; "" when ok.
  std::string describe() const;
};

// Compares got[0..n) with ref[0..n) under `tol`, keeping the first
// `max_listed` mismatches.
template <class U>
Diff compare(const U* got, const U* ref, std::size_t n, const Tolerance& tol, std::size_t max_listed = 6);
template <class U>
Diff compare(const std::vector<U>& got, const std::vector<U>& ref, const Tolerance& tol, std::size_t max_listed = 6);

}  // namespace wuxia
