// The run folder (issue 21): one run at a time holds --out, a new run does
// not replace a model unasked, --resume carries on in its checkpoint's
// folder, and SIGINT/SIGTERM stop a run without losing its steps. The soak
// test at the end: readers of a checkpoint a run keeps rewriting only ever
// see whole files.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <thread>

#include "test_util.hpp"
#include "wuxia/store/checkpoint.hpp"

using namespace wuxia;

namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

const std::string kData = std::string(WUXIA_DATA_DIR) + "/jinyong.txt";
// A small model that trains fast on one thread.
const std::string kSmall =
    " --data " + kData + " --from-scratch --hidden 16 --embed 8 --layers 1 --threads 1 --device cpu";

// Starts `wuxia <args>` (split at spaces) with stdout and stderr into `log`.
pid_t spawn(const std::string& args, const std::string& log) {
  return test::spawn_wuxia(test::split_words(args), log);
}

// Waits until `ready()` or the process ends or 120 s pass; true when ready while it ran.
template <class F>
bool wait_until(pid_t pid, F ready) {
  const auto deadline = clock_type::now() + std::chrono::seconds(120);
  while (clock_type::now() < deadline) {
    if (ready()) return true;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// How the process ended: the exit code, or 1000 + the signal that killed it.
int reap(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

// Waits until `sig`, sent to `pid`, is no longer pending (/proc's ShdPnd mask).
void wait_delivered(pid_t pid, int sig) {
  const auto deadline = clock_type::now() + std::chrono::seconds(10);
  while (clock_type::now() < deadline) {
    std::istringstream status(test::read_file("/proc/" + std::to_string(pid) + "/status"));
    unsigned long long pending = 0;
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("ShdPnd:", 0) == 0) pending = std::stoull(line.substr(7), nullptr, 16);
    }
    if (!(pending & (1ull << (sig - 1)))) return;
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

bool has_temp_files(const std::string& dir) {
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().find(".tmp-") != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST(RunFolder, ASecondRunIntoALiveRunsFolderRefusesNamingItsPid) {
  test::TempDir dir;
  const std::string out = dir.file("o");
  const pid_t first = spawn("train" + kSmall + " --steps 1000000 --eval-every 5 --out " + out, dir.file("1.log"));
  ASSERT_TRUE(wait_until(first, [&] { return fs::exists(out + "/last.safetensors"); }))
      << test::read_file(dir.file("1.log"));
  const auto second = test::run_wuxia("train" + kSmall + " --steps 3 --overwrite --out " + out);
  ::kill(first, SIGKILL);
  reap(first);
  EXPECT_EQ(second.code, 1) << second.out;
  EXPECT_NE(second.out.find("in use by another training run (PID " + std::to_string(first) + ","), std::string::npos)
      << second.out;
  // Once the holder is gone the folder is free again.
  EXPECT_EQ(test::run_wuxia("train" + kSmall + " --steps 3 --overwrite --out " + out).code, 0);
}

// A start-up clean-up removes what a killed write left, never the temporary
// file of a write in progress (its writer holds it locked).
TEST(RunFolder, CleanUpSparesATemporaryFileAWriterStillHolds) {
  test::TempDir dir;
  const std::string out = dir.file("o");
  fs::create_directories(out);
  const std::string live = out + "/.last.safetensors.tmp-live01", dead = out + "/.best.safetensors.tmp-dead01";
  test::write_file(live, "being written");
  test::write_file(dead, "left by a killed write");
  const int fd = ::open(live.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  const auto r = test::run_wuxia("train" + kSmall + " --steps 2 --out " + out);
  ::close(fd);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(fs::exists(live)) << "removed a temporary file a live writer held";
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_NE(r.out.find("removed 1 temporary file(s)"), std::string::npos) << r.out;
  // In process, as `wuxia train` calls it.
  EXPECT_EQ(remove_interrupted_writes(out), 1u);  // the holder is gone now
}

TEST(RunFolder, ANewRunRefusesAFolderHoldingAModelUnlessOverwrite) {
  test::TempDir dir;
  const std::string out = dir.file("o");
  ASSERT_EQ(test::run_wuxia("train" + kSmall + " --steps 3 --out " + out).code, 0);
  const std::string before = test::read_file(out + "/best.safetensors");
  const auto again = test::run_wuxia("train" + kSmall + " --steps 2 --seed 9 --out " + out);
  EXPECT_EQ(again.code, 1) << again.out;
  EXPECT_NE(again.out.find("--out " + out + " already holds a model"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("--overwrite"), std::string::npos) << again.out;
  EXPECT_EQ(again.out.find("step 1"), std::string::npos) << "trained before refusing:\n" << again.out;
  EXPECT_EQ(test::read_file(out + "/best.safetensors"), before);
  const auto replaced = test::run_wuxia("train" + kSmall + " --steps 2 --seed 9 --overwrite --out " + out);
  EXPECT_EQ(replaced.code, 0) << replaced.out;
  EXPECT_EQ(load_checkpoint(out + "/last.safetensors").settings.seed, 9u);
}

// docs/COMMANDS.md's `wuxia train --resume runs/mine/last.safetensors --steps N`.
TEST(RunFolder, ResumeWithoutOutContinuesInTheCheckpointsFolder) {
  test::TempDir dir;
  const std::string mine = dir.file("mine");
  ASSERT_EQ(test::run_wuxia("train" + kSmall + " --steps 3 --out " + mine).code, 0);
  const auto r = test::run_command("cd " + dir.path().string() + " && " + WUXIA_BINARY +
                                   " train --resume mine/last.safetensors --steps 5 --threads 1 --device cpu");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(load_checkpoint(mine + "/last.safetensors").state.step, 5);
  EXPECT_FALSE(fs::exists(dir.file("runs"))) << "wrote into runs/default:\n" << r.out;
  EXPECT_NE(r.out.find("checkpoints: mine/best.safetensors, mine/last.safetensors"), std::string::npos) << r.out;
  // A mistyped checkpoint creates no folder for it.
  const auto typo = test::run_wuxia("train --resume " + dir.file("mien/last.safetensors") + " --steps 5");
  EXPECT_EQ(typo.code, 1) << typo.out;
  EXPECT_NE(typo.out.find("mien/last.safetensors: no such file"), std::string::npos) << typo.out;
  EXPECT_FALSE(fs::exists(dir.file("mien")));
}

// /proc exists and is a folder that no one, root included, may write in.
TEST(RunFolder, AnOutThatCannotBeWrittenFailsBeforeTheFirstStep) {
  const auto r = test::run_wuxia("train" + kSmall + " --steps 40 --eval-every 40 --out /proc");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("--out /proc: cannot write in the folder"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("step 40"), std::string::npos) << "trained first:\n" << r.out;
}

// SIGINT and SIGTERM: the run writes last.safetensors at the step it
// reached, says so and exits 128 + the signal; the checkpoint resumes.
TEST(Signals, SigintOrSigtermWritesLastAtTheStepReachedAndExits128PlusTheSignal) {
  for (const int sig : {SIGINT, SIGTERM}) {
    test::TempDir dir;
    const std::string out = dir.file("o"), log = dir.file("log");
    // No evaluation before the signal: only the signal writes a checkpoint.
    const pid_t pid = spawn("train" + kSmall + " --steps 1000000 --eval-every 1000000 --log-every 5 --out " + out, log);
    ASSERT_TRUE(wait_until(pid, [&] { return test::read_file(log).find("step 10/") != std::string::npos; }))
        << test::read_file(log);
    ::kill(pid, sig);
    EXPECT_EQ(reap(pid), 128 + sig) << test::read_file(log);
    const std::string text = test::read_file(log);
    ASSERT_TRUE(fs::exists(out + "/last.safetensors")) << text;
    const Checkpoint ck = load_checkpoint(out + "/last.safetensors");
    EXPECT_GE(ck.state.step, 10);
    const std::string said = std::string("interrupted by ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + " at step " +
                             std::to_string(ck.state.step) + ": wrote " + out + "/last.safetensors";
    EXPECT_NE(text.find(said), std::string::npos) << text;
    EXPECT_FALSE(fs::exists(out + "/best.safetensors"));  // never evaluated: no best, and none named
    EXPECT_NE(text.find("checkpoints: " + out + "/last.safetensors\n"), std::string::npos) << text;
    EXPECT_FALSE(has_temp_files(out));
    const auto more = test::run_wuxia("train --resume " + out + "/last.safetensors --steps " +
                                      std::to_string(ck.state.step + 2) + " --threads 1 --device cpu -q");
    EXPECT_EQ(more.code, 0) << more.out;
  }
}

// A second signal ends the run at once, even in the middle of a checkpoint
// write, and the write's temporary file goes with it. The signals are sent
// the moment a write has created its temporary file (inotify), as the crash
// test's kills are; over several tries some land inside the write.
TEST(Signals, ASecondSignalStopsAtOnceLeavingNoHalfWrittenFile) {
  for (int i = 0; i < 6; ++i) {
    test::TempDir dir;
    const std::string out = dir.file("o");
    fs::create_directories(out);
    const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_GE(::inotify_add_watch(fd, out.c_str(), IN_CREATE), 0);
    // A larger model: each write takes a while. Evaluations every 2 steps.
    const pid_t pid = spawn("train --data " + kData +
                                " --from-scratch --hidden 256 --embed 64 --layers 2 --threads 1 --device cpu"
                                " --steps 1000000 --eval-every 2 --out " +
                                out,
                            dir.file("log"));
    bool in_write = false;
    const auto deadline = clock_type::now() + std::chrono::seconds(120);
    alignas(inotify_event) char buf[64 * (sizeof(inotify_event) + NAME_MAX + 1)];
    // The second write of the run (the first evaluation writes best, then last).
    int temps = 0;
    while (!in_write && clock_type::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const ssize_t n = ::read(fd, buf, sizeof buf);
      for (ssize_t at = 0; at < n;) {
        const auto* e = reinterpret_cast<const inotify_event*>(buf + at);
        if (e->len && std::string(e->name).find(".tmp-") != std::string::npos) in_write = ++temps >= 2;
        at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
      }
    }
    ::close(fd);
    ASSERT_TRUE(in_write) << test::read_file(dir.file("log"));
    ::kill(pid, SIGINT);
    // Two signals pending at once would merge into one: the second goes once
    // the first has been delivered.
    wait_delivered(pid, SIGINT);
    ::kill(pid, SIGINT);
    const auto sent = clock_type::now();
    EXPECT_EQ(reap(pid), 1000 + SIGINT) << test::read_file(dir.file("log"));
    EXPECT_LT(clock_type::now() - sent, std::chrono::seconds(5)) << "did not stop at once";
    EXPECT_FALSE(has_temp_files(out)) << "try " << i << " left a half-written file";
    for (const char* f : {"/best.safetensors", "/last.safetensors"}) {
      if (fs::exists(out + f)) EXPECT_NO_THROW(load_checkpoint(out + f)) << f;
    }
  }
}

// The soak test: a run rewrites last.safetensors every step while several
// `wuxia sample` readers load it in a loop for a few seconds. Every load
// must find a whole, valid checkpoint.
TEST(Soak, SampleReadersNeverSeeAPartialCheckpoint) {
  test::TempDir dir;
  const std::string out = dir.file("o"), last = out + "/last.safetensors";
  const pid_t trainer =
      spawn("train" + kSmall + " --hidden 64 --embed 32 --steps 1000000 --eval-every 1 --out " + out, dir.file("log"));
  ASSERT_TRUE(wait_until(trainer, [&] { return fs::exists(last); })) << test::read_file(dir.file("log"));
  std::atomic<int> loads{0}, failures{0};
  std::string first_failure;
  std::mutex m;
  const auto until = clock_type::now() + std::chrono::seconds(4);
  std::vector<std::thread> readers;
  for (int k = 0; k < 3; ++k) {
    readers.emplace_back([&, k] {
      while (clock_type::now() < until) {
        const auto r = test::run_wuxia("sample --checkpoint " + last + " -n 1 --seed " + std::to_string(k));
        ++loads;
        if (r.code != 0 && r.code != 3) {  // 3: fewer names than asked, from a barely trained model
          ++failures;
          const std::lock_guard<std::mutex> lock(m);
          if (first_failure.empty()) first_failure = r.out;
        }
      }
    });
  }
  for (auto& t : readers) t.join();
  ::kill(trainer, SIGTERM);
  EXPECT_EQ(reap(trainer), 128 + SIGTERM) << test::read_file(dir.file("log"));
  const int64_t steps = load_checkpoint(last).state.step;
  std::cout << loads << " loads by 3 readers while the run wrote " << steps << " checkpoints\n";
  EXPECT_EQ(failures, 0) << first_failure;
  EXPECT_GE(loads, 6);
  EXPECT_GE(steps, 6) << "the run hardly rewrote the checkpoint: the readers tested little";
}
