// What a careless or hostile user finds (issue 21): write errors, absurd
// flags, inputs with no end, and the smaller edges. Each through the
// program, as the user meets it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <memory>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "test_util.hpp"

using wuxia::test::run_wuxia;

namespace {

const std::string kData = std::string(WUXIA_DATA_DIR) + "/jinyong.txt";

// One small model for the commands that read one.
class Edges : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<wuxia::test::TempDir>();
    const auto r = run_wuxia("train --data " + kData +
                             " --from-scratch --steps 20 --hidden 16 --embed 8 --layers 1"
                             " --threads 1 --device cpu -q --out " +
                             dir_->file("run"));
    ASSERT_EQ(r.code, 0) << r.out;
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static std::string ckpt() { return dir_->file("run/best.safetensors"); }
  static inline std::unique_ptr<wuxia::test::TempDir> dir_;
};

struct Finished {
  int code = -1;
  long max_rss_kb = 0;  // of the process itself
  std::string out;
};

// Runs `wuxia args` (split at spaces), output into `log`, and measures its
// peak memory (wait4: this child's own figure).
Finished run_measured(const std::string& args, const std::string& log) {
  const pid_t pid = wuxia::test::spawn_wuxia(wuxia::test::split_words(args), log);
  Finished f;
  int status = 0;
  rusage ru{};
  ::wait4(pid, &status, 0, &ru);
  f.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  f.max_rss_kb = ru.ru_maxrss;
  f.out = wuxia::test::read_file(log);
  return f;
}

}  // namespace

TEST_F(Edges, MetricsThatCannotBeWrittenFailTheRunNamingTheFile) {
  wuxia::test::TempDir dir;
  const auto r = run_wuxia("train --data " + kData +
                           " --from-scratch --steps 4 --hidden 8 --embed 4 --layers 1 "
                           "--threads 1 --device cpu --metrics /dev/full --out " +
                           dir.file("o"));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("--metrics /dev/full: write failed: No space left on device"), std::string::npos) << r.out;
}

TEST_F(Edges, StdoutThatCannotBeWrittenIsAnErrorForEveryCommand) {
  wuxia::test::TempDir dir;
  wuxia::test::write_file(dir.file("names.txt"), "令狐冲\n郭靖\n");
  for (const std::string& args : std::vector<std::string>{
           "--help", "train --help", "sample -n 5 --checkpoint " + ckpt(), "eval --checkpoint " + ckpt() + " " + kData,
           "score 令狐冲 --samples 20 --checkpoint " + ckpt()}) {
    const auto r = wuxia::test::run_command("{ " + std::string(WUXIA_BINARY) + " " + args + " > /dev/full; }");
    EXPECT_EQ(r.code, 1) << args << "\n" << r.out;
    EXPECT_NE(r.out.find("writing to standard output failed"), std::string::npos) << args << "\n" << r.out;
  }
}

TEST_F(Edges, AThreadCountPastTheCapIsRefusedNamingTheFlag) {
  wuxia::test::TempDir dir;
  for (const std::string& args : std::vector<std::string>{
           "train --data " + kData + " --out " + dir.file("o"), "eval --checkpoint " + ckpt() + " " + kData,
           "score 令狐冲 --checkpoint " + ckpt(), "bench --steps 1", "sample --checkpoint " + ckpt()}) {
    const auto r = run_wuxia(args + " --threads 100000");
    EXPECT_EQ(r.code, 1) << args << "\n" << r.out;
    EXPECT_NE(r.out.find("--threads 100000: at most"), std::string::npos) << args << "\n" << r.out;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("o/best.safetensors")));
}

// A "name file" with no line breaks at all: refused after the first
// kMaxLineBytes, naming the file and line, whatever its size.
TEST_F(Edges, AFileWithoutLineBreaksIsRefusedAtOnceInLittleMemory) {
  wuxia::test::TempDir dir;
  const auto zero = run_measured("train --from-scratch --data /dev/zero --out " + dir.file("o"), dir.file("zero.log"));
  EXPECT_EQ(zero.code, 1) << zero.out;
  EXPECT_NE(zero.out.find("/dev/zero:1: line is longer than 4096 bytes"), std::string::npos) << zero.out;
  // /dev/zero never ends, so a reader without the cap would grow until the
  // machine stops it; the bound is against the same refusal of a short line,
  // so that the process's own cost (a sanitizer's shadow memory and its
  // 300 MB binary: CI's ASan run measured 205 MB before a byte was read) is
  // not counted.
  wuxia::test::write_file(dir.file("short_train.txt"), std::string(5000, 'a'));
  const auto short_train =
      run_measured("train --from-scratch --data " + dir.file("short_train.txt") + " --out " + dir.file("o2"),
                   dir.file("short_train.log"));
  EXPECT_EQ(short_train.code, 1) << short_train.out;
  EXPECT_LT(zero.max_rss_kb - short_train.max_rss_kb, 64 * 1024) << zero.out;

  const long size_kb = 64 * 1024;  // a 64 MB one-line file
  {
    std::ofstream f(dir.file("one_line.txt"), std::ios::binary);
    const std::string block(1 << 20, 'a');
    for (long i = 0; i < size_kb / 1024; ++i) f << block;
  }
  const auto big = run_measured("eval --checkpoint " + ckpt() + " " + dir.file("one_line.txt"), dir.file("big.log"));
  EXPECT_EQ(big.code, 1) << big.out;
  EXPECT_NE(big.out.find("one_line.txt:1: line is longer than"), std::string::npos) << big.out;
  // Against the same refusal of a short file, so that what the process costs
  // anyway (the model, a sanitizer's shadow memory) is not counted.
  wuxia::test::write_file(dir.file("short_line.txt"), std::string(5000, 'a'));
  const auto small = run_measured("eval --checkpoint " + ckpt() + " " + dir.file("short_line.txt"), dir.file("s.log"));
  EXPECT_EQ(small.code, 1) << small.out;
  EXPECT_LT(big.max_rss_kb - small.max_rss_kb, size_kb) << "the file cost more than its own size";
}

TEST_F(Edges, ScoreAndClassifyRefuseAnEmptyNameAndTrimTheOthers) {
  for (const std::string cmd : {"score", "classify"}) {
    const auto r = run_wuxia(cmd + " --checkpoint " + ckpt() + " \"\"");
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("name '': empty"), std::string::npos) << cmd << "\n" << r.out;
  }
  const auto t = run_wuxia("score --samples 20 --checkpoint " + ckpt() + " ' 令狐冲  '");
  EXPECT_EQ(t.code, 0) << t.out;
  EXPECT_NE(t.out.find("\n令狐冲\t"), std::string::npos) << t.out;
}

TEST_F(Edges, ControlCharactersAreReportedInHex) {
  wuxia::test::TempDir dir;
  wuxia::test::write_file(dir.file("esc.txt"), "令狐冲\n任\x1b[31m我行\n");
  const auto r = run_wuxia("eval --checkpoint " + ckpt() + " " + dir.file("esc.txt"));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("esc.txt:2: control character U+001B"), std::string::npos) << r.out;
}

// docs/COMMANDS.md says CR line endings are stripped: old Mac files (CR only) too.
TEST_F(Edges, CrOnlyLineEndingsAreRead) {
  wuxia::test::TempDir dir;
  wuxia::test::write_file(dir.file("cr.txt"), "令狐冲\r任我行\r岳不群\r");
  const auto r = run_wuxia("eval --checkpoint " + ckpt() + " " + dir.file("cr.txt"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("3 names"), std::string::npos) << r.out;
}

TEST_F(Edges, ValWithAStyleNotInTheDataNamesThatStyle) {
  wuxia::test::TempDir dir;
  wuxia::test::write_file(dir.file("v.txt"), "令狐冲\n");
  const auto r = run_wuxia("train --from-scratch --data a=" + kData + " --data b=" + std::string(WUXIA_DATA_DIR) +
                           "/gulong.txt --val c=" + dir.file("v.txt") + " --out " + dir.file("o"));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("style 'c' is not one of the run's styles (a, b)"), std::string::npos) << r.out;
}

// sample prints each name as it is found: a run stopped early keeps them.
// Asked for far more names than the model makes, it is still going when
// the first ones arrive.
TEST_F(Edges, SamplePrintsEachNameAsItIsFound) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string path = ckpt();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::execl(WUXIA_BINARY, WUXIA_BINARY, "sample", "-n", "1000000", "--checkpoint", path.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string got;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::count(got.begin(), got.end(), '\n') < 3 && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[256];
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  int status = 0;
  const bool running = ::waitpid(pid, &status, WNOHANG) == 0;
  ::kill(pid, SIGINT);
  ::waitpid(pid, &status, 0);
  ::close(fds[0]);
  EXPECT_TRUE(running) << "it ended first";
  EXPECT_GE(std::count(got.begin(), got.end(), '\n'), 3) << "names came only at the end: '" << got << "'";
}
