#pragma once
// When a CPU op is worth an OpenMP parallel region. wuxia's threads wait
// passively unless the user says otherwise (src/platform/omp_env.cpp), so a region
// costs a worker's wake-up at the fork and often the master's at the join:
// about 0.1 ms together on a virtual machine, a few microseconds on bare
// metal. A loop goes parallel only when its single-thread time is well above
// that. These are element counts for a plain memory-bound loop (a few ns per
// element); ops with more work per element say so where they use them.
namespace wuxia::cpu {

inline constexpr long kParallelMinElements = 1L << 18;

}  // namespace wuxia::cpu
