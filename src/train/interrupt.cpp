#include "wuxia/train/interrupt.hpp"

#include <unistd.h>

#include <climits>
#include <cstring>

namespace wuxia {

namespace {

volatile std::sig_atomic_t g_signal = 0;
// The temporary file to remove on a second signal: a fixed buffer, since the
// handler may call only async-signal-safe functions (unlink is one).
char g_temp[PATH_MAX];
volatile std::sig_atomic_t g_temp_set = 0;

extern "C" void on_signal(int sig) {
  if (g_signal == 0) {
    g_signal = sig;
    return;
  }
  if (g_temp_set) ::unlink(g_temp);
  // Die by the signal itself, so the parent sees how the process ended.
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

}  // namespace

InterruptGuard::InterruptGuard() {
  g_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // reads and writes in flight carry on
  ::sigaction(SIGINT, &sa, &old_int_);
  ::sigaction(SIGTERM, &sa, &old_term_);
}

InterruptGuard::~InterruptGuard() {
  ::sigaction(SIGINT, &old_int_, nullptr);
  ::sigaction(SIGTERM, &old_term_, nullptr);
}

int InterruptGuard::signal() const { return g_signal; }

std::string signal_name(int sig) {
  if (sig == SIGINT) return "SIGINT";
  if (sig == SIGTERM) return "SIGTERM";
  return "signal " + std::to_string(sig);
}

TempFileInFlight::TempFileInFlight(const std::string& path) {
  g_temp_set = 0;
  if (path.size() >= sizeof g_temp) return;  // mkstemp's paths fit; a longer one is left for the next run's clean-up
  std::memcpy(g_temp, path.c_str(), path.size() + 1);
  g_temp_set = 1;
}

TempFileInFlight::~TempFileInFlight() { g_temp_set = 0; }

}  // namespace wuxia
