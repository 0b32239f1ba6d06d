#pragma once
// Launchers of Backend::lstm_recurrence_forward and _backward
// (kernels/lstm_recurrence.cu): a whole layer's recurrence in one launch per
// direction, the recurrent weights kept on chip across the steps. Contracts
// (shapes, layouts, what dc and dh_rec hold after) are in
// include/wuxia/model/backend.hpp; every pointer is device memory, and each
// launcher enqueues on `stream` and throws wuxia::Error when the launch fails
// or the plan does not run.
#include <cuda_runtime.h>

#include <cstddef>
#include <string>

namespace wuxia::cuda::kern {

// What the device offers the recurrence: queried once by the backend, which
// also opts every recurrence kernel in to max_smem of dynamic shared memory.
struct RecurrenceLimits {
  int sms = 1;                       // multiprocessors: the grid is sized to fill them
  std::size_t max_smem = 48u << 10;  // dynamic shared memory one block may opt in to
};
RecurrenceLimits recurrence_limits();

// How b rows of hidden size h are laid out on the device. A block has
// h * groups threads: thread (j, group) owns hidden unit j of rows_per_thread
// consecutive batch rows, so a block owns rows_per_thread * groups rows and
// loops over every step on them (batch rows never meet across the recurrence,
// so no block waits for another: no grid-wide barrier). The recurrent
// weights sit in shared memory when weights_in_smem, else are read from
// global memory (L2) at every step.
struct RecurrencePlan {
  bool runs = false;
  bool weights_in_smem = false;
  bool faster = false;  // expected to beat the step loop: what --recurrence auto runs
  int rows_per_thread = 1;
  int groups = 1;
  int stride = 0;                          // shared-memory row stride in floats (h padded; see plan_recurrence)
  std::size_t fwd_smem = 0, bwd_smem = 0;  // dynamic shared memory of each launch, bytes
  std::string why_not;
};
RecurrencePlan plan_recurrence(int b, int h, const RecurrenceLimits& limits);

//   w_hh: [4h, h].   gates: [steps*b, 4h] in/out.   cells, hs: [steps*b, h] out.
void lstm_recurrence_forward(const RecurrencePlan& plan, int steps, int b, int h, const float* w_hh, float* gates,
                             float* cells, float* hs, cudaStream_t stream);
//   w_hh: [4h, h].   gates: [steps*b, 4h], cells, dh: [steps*b, h] in.
//   dc, dh_rec: [b, h] out.   dgates: [steps*b, 4h] out.
void lstm_recurrence_backward(const RecurrencePlan& plan, int steps, int b, int h, const float* w_hh,
                              const float* gates, const float* cells, const float* dh, float* dc, float* dh_rec,
                              float* dgates, cudaStream_t stream);

}  // namespace wuxia::cuda::kern
