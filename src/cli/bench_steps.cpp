#include "bench_steps.hpp"

#include <algorithm>
#include <chrono>

namespace wuxia::cli {

TimedSteps time_steps(TrainingRun& run, Memory& device, bool asynchronous, int64_t warmup, int64_t steps) {
  using clock = std::chrono::steady_clock;
  TimedSteps t;
  t.warmup = warmup;
  t.steps = steps;
  const int64_t total = warmup + steps;
  const int64_t last = asynchronous ? total + steps : total;
  // The batches are built before any clock starts.
  std::vector<Batch> batches;
  for (int64_t step = 1; step <= last; ++step) batches.push_back(run.batch(step));
  for (int64_t step = 1; step <= warmup; ++step) run.take_step(batches[step - 1]);
  const double warm_first = warmup > 0 ? run.read_losses().first : 0.0;

  const auto t_begin = clock::now();
  auto t_prev = t_begin;
  for (int64_t step = warmup + 1; step <= total; ++step) {
    run.take_step(batches[step - 1]);
    if (!asynchronous) {  // a GPU's step times come from the steps below
      const auto now = clock::now();
      t.step_s.push_back(std::chrono::duration<double>(now - t_prev).count());
      t_prev = now;
    }
    t.tokens += batches[step - 1].num_targets;
  }
  const TrainingRun::Losses timed = run.read_losses();  // throws, naming the step, on a non-finite loss
  t.seconds = std::chrono::duration<double>(clock::now() - t_begin).count();
  t.first_loss = warmup > 0 ? warm_first : timed.first;  // step 1's, as the peer reports
  t.last_loss = timed.last;

  if (asynchronous) {
    device.synchronize();
    t_prev = clock::now();
    for (int64_t step = total + 1; step <= last; ++step) {
      run.take_step(batches[step - 1]);
      device.synchronize();
      const auto now = clock::now();
      t.step_s.push_back(std::chrono::duration<double>(now - t_prev).count());
      t_prev = now;
    }
    run.read_losses();  // these steps must not have diverged either
  }
  std::sort(t.step_s.begin(), t.step_s.end());
  return t;
}

}  // namespace wuxia::cli
