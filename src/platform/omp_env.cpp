// How wuxia's CPU threads wait between parallel regions: passively (they
// sleep), unless the user has chosen (OMP_WAIT_POLICY or GOMP_SPINCOUNT set).
//
// libgomp, which runs wuxia's OpenMP loops and OpenBLAS's (the OpenMP build
// shares the pool), spins a waiting thread for ~3 ms by default. On a machine
// where another process wants a core, the spinning thread takes the core from
// the thread it waits for: two threads ran 2.5-13x slower than one
// (docs/PERF.md, "Busy machine"). Passive waiting costs a wake-up per region
// instead (the cost, and the thresholds that keep it small, are in
// src/cpu/parallel.hpp and PERF.md).
//
// libgomp reads the variables once, in its own initialiser. This file is a
// shared library of its own for that reason: its initialiser has to run after
// libc's (before it, libc would reset the environment, as it does to what an
// executable's .preinit_array sets) and before libgomp's, which the dynamic
// loader guarantees for a library listed after libgomp among the
// executable's dependencies (CMakeLists.txt links it so;
// CliTest.ThreadsWaitPassivelyUnlessTheUserChose checks libgomp's own report).
#include <cstdlib>

namespace {

const char* g_status = "unset";

__attribute__((constructor)) void prefer_passive_waits() {
  if (std::getenv("OMP_WAIT_POLICY") || std::getenv("GOMP_SPINCOUNT")) {
    g_status = "set by the user";
    return;
  }
  if (::setenv("OMP_WAIT_POLICY", "passive", 0) == 0) g_status = "wuxia's default";
}

}  // namespace

extern "C" __attribute__((visibility("default"))) const char* wuxia_omp_wait_policy_origin() { return g_status; }
