// Crash safety: training killed with SIGKILL at random moments, checkpoint
// writes included, always resumes from an intact checkpoint and finishes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "test_util.hpp"
#include "wuxia/checkpoint.hpp"
#include "wuxia/rng.hpp"

using namespace wuxia;

namespace {

// Starts `wuxia args...` with output discarded; returns its pid.
pid_t spawn(const std::vector<std::string>& args) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, STDOUT_FILENO);
    ::dup2(devnull, STDERR_FILENO);
    std::vector<char*> argv{const_cast<char*>(WUXIA_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(WUXIA_BINARY, argv.data());
    ::_exit(127);
  }
  return pid;
}

}  // namespace

TEST(CrashSafety, TwentySigkillsThenResumeFinishesFromIntactCheckpoints) {
  test::TempDir dir;
  const std::string out = dir.file("run"), last = out + "/last.safetensors";
  const std::vector<std::string> base{"train", "--data", std::string(WUXIA_DATA_DIR) + "/jinyong.txt", "--out", out,
                                      "--steps", "300", "--eval-every", "3", "--hidden", "32", "--embed", "16",
                                      "--layers", "1", "--threads", "1", "--device", "cpu", "--decay-steps", "300",
                                      "--warmup", "10"};
  int64_t step = 0;
  int kills = 0, resumed = 0, mid_write = 0;
  std::error_code ec;  // the folder may not exist yet
  for (uint64_t i = 0; i < 20; ++i) {
    std::vector<std::string> args = base;
    const bool resume = std::filesystem::exists(last);
    if (resume) {
      args = {"train", "--resume", last, "--out", out, "--steps", "300", "--eval-every", "3", "--threads", "1",
              "--device", "cpu"};
      ++resumed;
    }
    const pid_t pid = spawn(args);
    ASSERT_GT(pid, 0);
    const auto delay = std::chrono::milliseconds(30 + rng::below(400, 77, rng::kShuffle, 1, i));
    std::this_thread::sleep_for(delay);
    int status = 0;
    if (::kill(pid, SIGKILL) == 0) ++kills;
    ::waitpid(pid, &status, 0);
    for (const auto& e : std::filesystem::directory_iterator(out, ec)) {
      mid_write += e.path().filename().string().find(".tmp-") != std::string::npos;
    }
    if (std::filesystem::exists(last)) {
      Checkpoint ck;
      ASSERT_NO_THROW(ck = load_checkpoint(last)) << "kill " << i << " after " << delay.count() << " ms";
      EXPECT_GE(ck.state.step, step) << "a kill lost progress";
      step = ck.state.step;
      ASSERT_NO_THROW(load_checkpoint(out + "/best.safetensors"));
    }
  }
  std::cout << kills << " kills, " << mid_write << " of them during a checkpoint write, " << resumed << " resumes\n";
  EXPECT_GE(kills, 15);
  EXPECT_GE(resumed, 10) << "the kills came before any checkpoint: nothing was tested";
  // Now let it finish.
  const auto r = test::run_wuxia("train --resume " + last + " --out " + out + " --steps 300 --threads 1 --device cpu");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(load_checkpoint(last).state.step, 300);
  // Temporary files of interrupted writes are cleared away by the next run.
  for (const auto& e : std::filesystem::directory_iterator(out)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }
}
