#pragma once
// `wuxia bench`'s timed training steps (src/cli/bench_steps.cpp), apart from
// the command so that a test can drive them on a backend that counts its
// synchronize() calls.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "wuxia/model/backend.hpp"
#include "wuxia/train/training_run.hpp"

namespace wuxia::cli {

// What the timed steps gave.
struct TimedSteps {
  int64_t warmup = 0, steps = 0;
  std::vector<double> step_s;  // sorted; each from a synchronize() to the next
  std::size_t tokens = 0;      // target tokens of the throughput steps
  double seconds = 0, first_loss = 0, last_loss = 0;
  double tokens_per_sec() const { return seconds > 0 ? static_cast<double>(tokens) / seconds : 0; }
};

// Runs `warmup` untimed steps of `run`, then `steps` timed ones as `wuxia
// train` runs them: nothing waits inside the loop, and `seconds` runs from a
// drained queue to the losses read back (which waits for the device), so
// tokens/s is the device's rate with the launches overlapped.
// A step's time: where `asynchronous` is false (the CPU, whose ops return
// done) the interval between the returns of successive timed steps. Where
// it is true (a GPU), the host returns from a step long before the device has
// run it, so such an interval is launch overhead or, once the queue is full,
// the whole queue: then `steps` more steps are taken (past the schedule's
// end, where the rate is constant; a step's cost does not depend on it), each
// followed by device.synchronize(), and the step times are those.
// `device` is the memory of the backend `run` trains on (in: only its
// synchronize() is called). The losses reported are the first timed pass's.
TimedSteps time_steps(TrainingRun& run, Memory& device, bool asynchronous, int64_t warmup, int64_t steps);

}  // namespace wuxia::cli
