#pragma once
// SIGINT and SIGTERM during a training run (DESIGN "Training runs"). The
// first signal only sets a flag: the run finishes the step in flight, writes
// last.safetensors and exits 128 + the signal. A second one ends the process
// at once, removing the temporary file of a checkpoint write in progress
// first, so that nothing half-written is left behind (the checkpoint itself
// is only ever replaced whole, by rename).
#include <csignal>
#include <string>

namespace wuxia {

// Installs the handlers for its lifetime; the previous ones come back after.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  // The first signal received (SIGINT or SIGTERM) since installation, or 0.
  int signal() const;

 private:
  struct sigaction old_int_ {
  }, old_term_{};
};

// "SIGINT", "SIGTERM", else "signal N".
std::string signal_name(int sig);

// While alive, `path` (a temporary file being written) is removed if a
// second signal ends the process. One at a time: writes are not concurrent.
class TempFileInFlight {
 public:
  explicit TempFileInFlight(const std::string& path);
  ~TempFileInFlight();
  TempFileInFlight(const TempFileInFlight&) = delete;
  TempFileInFlight& operator=(const TempFileInFlight&) = delete;
};

}  // namespace wuxia
