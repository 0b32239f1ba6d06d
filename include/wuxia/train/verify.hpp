#pragma once
// `wuxia verify`'s comparison: the same model, seed and batches trained on
// the CPU (the reference) and on another backend, and per step how far apart
// the two are (model/step_compare.hpp), printed.
#include <ostream>
#include <string>

#include "wuxia/data/names.hpp"
#include "wuxia/model/backend.hpp"
#include "wuxia/model/compare.hpp"
#include "wuxia/model/params.hpp"
#include "wuxia/model/precision.hpp"

namespace wuxia {

struct VerifyOptions {
  DataSpec data;      // the names (split, vocabulary and batches as `train` makes them)
  ModelConfig model;  // vocab is filled in from the data
  int batch = 64;
  uint64_t seed = 1;
  double lr = 3e-3;  // every step's (no schedule)
  int steps = 3;
  Tolerance tol;                           // per tensor
  bool free_run = false;                   // StepCompareOptions::free_run
  Precision precision = Precision::kFp32;  // both sides' (Model::set_precision)
  // Throws wuxia::Error naming the flag (--steps, --batch, --atol/--rtol, --lr) of a value out of range.
  void validate() const;
};

// Trains o.steps steps on `cpu` (the reference) and `other` and prints every
// figure to `out`, a header first (`other_description` names the other
// backend) and a PASS or FAIL line last. True when all are within o.tol.
bool verify_backends(const VerifyOptions& o, Backend<float>& cpu, Backend<float>& other,
                     const std::string& other_description, std::ostream& out);

}  // namespace wuxia
