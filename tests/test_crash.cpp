// Crash safety: training killed with SIGKILL at moments taken from its own
// progress, checkpoint writes included, always resumes from an intact
// checkpoint and finishes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <functional>
#include <thread>

#include "test_util.hpp"
#include "wuxia/model/rng.hpp"
#include "wuxia/store/checkpoint.hpp"

using namespace wuxia;

namespace {

// Waits until the training process `pid` does what `wanted` looks for in the
// output folder (inotify events: a file created or renamed into it), or
// exits, or 120 s pass. True when the event came while it still ran.
bool wait_for(int fd, pid_t pid, const std::function<bool(const inotify_event&)>& wanted) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  alignas(inotify_event) char buf[64 * (sizeof(inotify_event) + NAME_MAX + 1)];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) > 0) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      for (ssize_t at = 0; at < n;) {
        const auto* e = reinterpret_cast<const inotify_event*>(buf + at);
        if (e->len && wanted(*e)) return true;
        at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
      }
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return false;  // finished or died on its own
  }
  return false;
}

}  // namespace

// The kills follow the run's own progress, not a clock, so the test means
// the same on a fast machine and a loaded one: even kills land the moment a
// checkpoint write has created its temporary file (mid-write, before the
// rename), odd ones just after a last.safetensors was renamed into place.
TEST(CrashSafety, TwentySigkillsThenResumeFinishesFromIntactCheckpoints) {
  test::TempDir dir;
  const std::string out = dir.file("run"), last = out + "/last.safetensors";
  std::filesystem::create_directories(out);
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_GE(::inotify_add_watch(fd, out.c_str(), IN_CREATE | IN_MOVED_TO), 0);
  // --overwrite: a run killed before its first last.safetensors may leave a best; it starts over.
  const std::vector<std::string> base{"train",
                                      "--data",
                                      std::string(WUXIA_DATA_DIR) + "/jinyong.txt",
                                      "--out",
                                      out,
                                      "--steps",
                                      "300",
                                      "--eval-every",
                                      "3",
                                      "--hidden",
                                      "32",
                                      "--embed",
                                      "16",
                                      "--layers",
                                      "1",
                                      "--threads",
                                      "1",
                                      "--device",
                                      "cpu",
                                      "--decay-steps",
                                      "300",
                                      "--warmup",
                                      "10",
                                      "--overwrite"};
  int64_t step = 0;
  int kills = 0, resumed = 0, mid_write = 0;
  for (uint64_t i = 0; i < 20; ++i) {
    std::vector<std::string> args = base;
    if (std::filesystem::exists(last)) {
      args = {"train",        "--resume", last,        "--out", out,        "--steps", "300",
              "--eval-every", "3",        "--threads", "1",     "--device", "cpu"};
      ++resumed;
    }
    const pid_t pid = test::spawn_wuxia(args);
    ASSERT_GT(pid, 0);
    const bool in_write = i % 2 == 0;
    const bool hit = wait_for(fd, pid, [&](const inotify_event& e) {
      const std::string name = e.name;
      return in_write ? (e.mask & IN_CREATE) && name.find(".tmp-") != std::string::npos
                      : (e.mask & IN_MOVED_TO) && name == "last.safetensors";
    });
    if (hit && !in_write) {  // a little later, somewhere in the steps that follow
      std::this_thread::sleep_for(std::chrono::microseconds(rng::below(3000, 77, rng::kShuffle, 1, i)));
    }
    int status = 0;
    if (hit && ::kill(pid, SIGKILL) == 0) ++kills;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(hit) << "kill " << i << ": the run ended before the moment it was to be killed at";
    for (const auto& e : std::filesystem::directory_iterator(out)) {
      mid_write += e.path().filename().string().find(".tmp-") != std::string::npos;
    }
    if (std::filesystem::exists(last)) {
      Checkpoint ck;
      ASSERT_NO_THROW(ck = load_checkpoint(last)) << "kill " << i;
      EXPECT_GE(ck.state.step, step) << "a kill lost progress";
      step = ck.state.step;
      ASSERT_NO_THROW(load_checkpoint(out + "/best.safetensors"));
    }
  }
  ::close(fd);
  std::cout << kills << " kills, " << mid_write << " of them left a checkpoint write unfinished, " << resumed
            << " resumes, last checkpoint at step " << step << "\n";
  EXPECT_EQ(kills, 20);
  EXPECT_GE(mid_write, 5) << "the mid-write kills did not land in a write";
  EXPECT_GE(resumed, 15);
  // Now let it finish.
  const auto r = test::run_wuxia("train --resume " + last + " --out " + out + " --steps 300 --threads 1 --device cpu");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(load_checkpoint(last).state.step, 300);
  // Temporary files of interrupted writes are cleared away by the next run.
  for (const auto& e : std::filesystem::directory_iterator(out)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }
}
