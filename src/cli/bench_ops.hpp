#pragma once
// `wuxia bench --op xent|recurrent|peak`: single ops of the training step,
// timed alone on the chosen backend (src/cli/bench_ops.cpp).
// scripts/bench_peer.py has the PyTorch counterpart of --op xent
// (F.cross_entropy); --op recurrent compares the step's recurrence with the
// same GEMMs alone (cuBLAS on a GPU); --op peak measures the machine's GEMM
// rate and copy bandwidth, the two rates docs/PERF.md's floors divide by.
#include "wuxia/model/backend.hpp"
#include "wuxia/platform/device.hpp"

namespace wuxia::cli {

struct OpBench {
  int rows = 32768;  // xent: logit rows (T*B of a large batch)
  int vocab = 4096;  // xent: columns
  int batch = 512;   // recurrent: B
  int hidden = 512;  // recurrent: H
  int steps = 16;    // recurrent: T
  int size = 4096;   // peak: the square GEMM's m = n = k
  int iters = 50;    // timed repetitions, after a few untimed ones
  uint64_t seed = 1;
  bool json = false;
};

int bench_xent(const BackendChoice& be, const OpBench& o);
int bench_recurrent(const BackendChoice& be, const OpBench& o);
int bench_peak(const BackendChoice& be, const OpBench& o);

}  // namespace wuxia::cli
