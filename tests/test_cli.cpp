// The `wuxia` program end to end, as a user runs it.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <regex>
#include <set>
#include <sstream>

#include "test_util.hpp"
#include "wuxia/data/convert.hpp"
#include "wuxia/data/names.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/model/backend.hpp"
#include "wuxia/platform/device.hpp"
#include "wuxia/store/checkpoint.hpp"
#include "wuxia/train/base_model.hpp"

using wuxia::test::run_wuxia;

namespace {

const std::string kData = std::string(WUXIA_DATA_DIR) + "/jinyong.txt";

// One small trained model shared by the tests of this file.
class Cli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<wuxia::test::TempDir>();
    const auto r = run_wuxia("train --data " + kData + " --out " + out() +
                             " --steps 30 --eval-every 15 --hidden 32 --embed 16 --layers 1 --batch 32 --threads 2"
                             " --device cpu --metrics " +
                             dir_->file("m.jsonl"));
    ASSERT_EQ(r.code, 0) << r.out;
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static std::string out() { return dir_->file("run"); }
  static std::string ckpt() { return out() + "/best.safetensors"; }
  static inline std::unique_ptr<wuxia::test::TempDir> dir_;
};

}  // namespace

TEST_F(Cli, TrainWritesBestLastAndMetrics) {
  EXPECT_TRUE(std::filesystem::exists(out() + "/best.safetensors"));
  EXPECT_TRUE(std::filesystem::exists(out() + "/last.safetensors"));
  const std::string metrics = wuxia::test::read_file(dir_->file("m.jsonl"));
  const auto last = metrics.substr(metrics.rfind('{', metrics.size() - 2));
  const auto j = nlohmann::json::parse(last);
  EXPECT_EQ(j["step"], 30);
  EXPECT_TRUE(j.contains("val_loss"));
  EXPECT_GT(j["tokens_per_sec"].get<double>(), 0);
}

TEST_F(Cli, SamplePrintsTheAskedNumberOfLabelledNames) {
  const auto r = run_wuxia("sample --checkpoint " + ckpt() + " -n 7 --label --seed 3");
  ASSERT_EQ(r.code, 0) << r.out;
  int lines = 0;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line); ++lines) {
    const auto tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    const std::string label = line.substr(tab + 1);
    EXPECT_TRUE(label == "new" || label == "train" || label == "val") << line;
  }
  EXPECT_EQ(lines, 7);
  EXPECT_EQ(run_wuxia("sample --checkpoint " + ckpt() + " -n 7 --label --seed 3").out, r.out);
}

TEST_F(Cli, SampleWithPrefixStartsEveryName) {
  const auto r = run_wuxia("sample --checkpoint " + ckpt() + " -n 5 --prefix 张 --max-len 4 --seed 1");
  ASSERT_EQ(r.code, 0) << r.out;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) EXPECT_EQ(line.rfind("张", 0), 0u) << line;
}

// The casts have no one-character name: a model of them is not asked for a
// bare surname (李) unless --min-len says so.
TEST_F(Cli, SampleLengthsDefaultToTheTrainingNames) {
  auto shortest = [](const std::string& out) {
    std::size_t s = 1000;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) s = std::min(s, wuxia::utf8::decode_or_throw(line, "").size());
    return s;
  };
  // --max-len 16: at this temperature many names run past the cast's longest, the default bound.
  const std::string common = "sample --checkpoint " + ckpt() + " -n 40 --temperature 3 --seed 4 --max-len 16";
  const auto dflt = wuxia::test::run_command("{ " + std::string(WUXIA_BINARY) + " " + common + " 2>/dev/null; }");
  ASSERT_EQ(dflt.code, 0) << dflt.out;
  EXPECT_EQ(shortest(dflt.out), 2u) << dflt.out;
  const auto one =
      wuxia::test::run_command("{ " + std::string(WUXIA_BINARY) + " " + common + " --min-len 1 2>/dev/null; }");
  ASSERT_EQ(one.code, 0) << one.out;
  EXPECT_EQ(shortest(one.out), 1u) << "--min-len 1 still allows a single character\n" << one.out;
  // And --max-len defaults to the longest training name (Jin Yong's: 5).
  const auto bounded = wuxia::test::run_command("{ " + std::string(WUXIA_BINARY) + " sample --checkpoint " + ckpt() +
                                                " -n 40 --seed 4 2>/dev/null; }");
  ASSERT_EQ(bounded.code, 0) << bounded.out;
  std::istringstream in(bounded.out);
  for (std::string line; std::getline(in, line);) EXPECT_LE(wuxia::utf8::decode_or_throw(line, "").size(), 5u) << line;
}

// Every run a new list, unless --seed; the seed is on stderr, so that the list can be made again.
TEST_F(Cli, SampleWithoutSeedSaysTheSeedThatMakesItsListAgain) {
  const std::string base = std::string(WUXIA_BINARY) + " sample --checkpoint " + ckpt() + " -n 8";
  // run_command adds 2>&1 after the command: the braces keep stderr in the file.
  const auto a = wuxia::test::run_command("{ " + base + " 2>" + dir_->file("seed_a.txt") + "; }");
  const auto b = wuxia::test::run_command("{ " + base + " 2>" + dir_->file("seed_b.txt") + "; }");
  ASSERT_EQ(a.code, 0) << a.out;
  ASSERT_EQ(b.code, 0) << b.out;
  auto seed_of = [](const std::string& err) {
    const std::string key = "wuxia sample: seed ";
    const auto at = err.find(key);
    return at == std::string::npos ? std::string()
                                   : err.substr(at + key.size(), err.find(' ', at + key.size()) - at - key.size());
  };
  const std::string sa = seed_of(wuxia::test::read_file(dir_->file("seed_a.txt")));
  const std::string sb = seed_of(wuxia::test::read_file(dir_->file("seed_b.txt")));
  ASSERT_FALSE(sa.empty()) << wuxia::test::read_file(dir_->file("seed_a.txt"));
  EXPECT_NE(sa, sb) << "two runs without --seed drew the same seed";
  const auto again = wuxia::test::run_command("{ " + base + " --seed " + sa + " 2>/dev/null; }");
  EXPECT_EQ(again.out, a.out) << "--seed " << sa << " did not make the list again";
  const auto given = run_wuxia("sample --checkpoint " + ckpt() + " -n 2 --seed 5");
  EXPECT_EQ(given.out.find("seed"), std::string::npos) << "a given seed is not repeated back: " << given.out;
}

TEST_F(Cli, EvalJsonReportsLossTokensNamesAndSkipped) {
  wuxia::test::write_file(dir_->file("e.txt"), "令狐冲\n郭靖\nzzz\n");
  const auto r = run_wuxia("eval --checkpoint " + ckpt() + " --json " + dir_->file("e.txt"));
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out.substr(r.out.find('{')));
  EXPECT_EQ(j["names"], 2);
  EXPECT_EQ(j["tokens"], 7);  // 3 + 1 and 2 + 1 targets, END included
  EXPECT_EQ(j["skipped"], 1);
  EXPECT_GT(j["loss"].get<double>(), 0);
}

TEST_F(Cli, ResumeContinuesToTheAskedStep) {
  const auto r = run_wuxia("train --resume " + out() + "/last.safetensors --out " + dir_->file("resumed") +
                           " --steps 35 --eval-every 5 --threads 2 --device cpu");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("resume: "), std::string::npos);
  EXPECT_NE(r.out.find("done: step 35"), std::string::npos) << r.out;
}

TEST_F(Cli, ResumeRefusesAFlagThatDiffersNamingBothValues) {
  const auto r = run_wuxia("train --resume " + out() + "/last.safetensors --hidden 64 --steps 40");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("--hidden 64 cannot change on --resume: the checkpoint has 32"), std::string::npos) << r.out;
  const auto lr = run_wuxia("train --resume " + out() + "/last.safetensors --lr 0.01 --steps 40");
  EXPECT_NE(lr.out.find("--lr 0.01 cannot change on --resume: the checkpoint has 0.003"), std::string::npos) << lr.out;
}

// What people do: the first command again, with --resume and more --steps.
TEST(CliResume, TheSameCommandWithResumeAddedContinues) {
  wuxia::test::TempDir dir;
  const std::string cmd = "train --data " + kData +
                          " --seed 11 --hidden 16 --embed 8 --batch 16 --lr 0.002 --dropout 0.3"
                          " --val " +
                          dir.file("val.txt") + " --threads 1 --device cpu --eval-every 10 --out " + dir.file("D");
  wuxia::test::write_file(dir.file("val.txt"), "令狐冲\n郭靖\n");
  ASSERT_EQ(run_wuxia(cmd + " --steps 20").code, 0);
  const auto r = run_wuxia(cmd + " --steps 40 --resume " + dir.file("D/last.safetensors"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("done: step 40"), std::string::npos) << r.out;
  wuxia::test::write_file(dir.file("val.txt"), "令狐冲\n");
  const auto v = run_wuxia(cmd + " --steps 40 --resume " + dir.file("D/last.safetensors"));
  EXPECT_NE(v.code, 0);
  EXPECT_NE(v.out.find("cannot change on --resume"), std::string::npos) << v.out;
}

TEST(CliErrors, BadFlagsAndPathsGiveAMessageAndNonZeroExit) {
  wuxia::test::TempDir dir;
  struct Case {
    std::string args, expect;
  } cases[] = {
      {"frobnicate", "unknown command"},
      {"train --no-such-flag", "no-such-flag"},
      {"train --data " + dir.file("missing.txt"), "missing.txt: cannot open"},
      {"train --data " + dir.path().string(), "is a directory"},
      {"train --data " + kData + " --hidden -3 --out " + dir.file("o"), "--hidden"},
      {"train --data " + kData + " --batch 0 --out " + dir.file("o"), "--batch must be at least 1"},
      {"train --data " + kData + " --lr abc", "--lr: "},
      {"train --data " + kData + " --device tpu --out " + dir.file("o"), "expected cpu, cuda or auto"},
      {"sample --checkpoint " + dir.file("none.safetensors"), "no such checkpoint"},
      {"sample --checkpoint " + kData, "jinyong.txt: "},
      {"sample --temperature 0", "--temperature must be greater than 0"},
      {"sample --top-p 1.5", "--top-p must be in (0, 1]"},
      {"sample -n -1", "-n must be 0 or more"},
      {"eval", "give one or more name files"},
  };
  for (const auto& c : cases) {
    const auto r = run_wuxia(c.args);
    EXPECT_NE(r.code, 0) << c.args;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << c.args << "\n" << r.out;
  }
}

TEST(CliErrors, UnwritableOutIsAClearError) {
  wuxia::test::TempDir dir;
  wuxia::test::write_file(dir.file("file"), "x");
  const auto r = run_wuxia("train --data " + kData + " --from-scratch --steps 1 --out " + dir.file("file") + "/sub");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("--out"), std::string::npos) << r.out;
}

TEST(CliDevice, AutoFallsBackToTheCpuAndSaysSo) {
  if (wuxia::cuda_available()) GTEST_SKIP() << "a GPU is present: auto picks it";
  wuxia::test::TempDir dir;
  const auto r = run_wuxia("train --data " + kData + " --steps 2 --hidden 8 --embed 4 --layers 1 --device auto --out " +
                           dir.file("o"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("running on the CPU"), std::string::npos) << r.out;
  const auto c = run_wuxia("train --data " + kData + " --steps 2 --device cuda --out " + dir.file("o"));
  EXPECT_NE(c.code, 0);
  EXPECT_NE(c.out.find("--device cuda: no usable GPU"), std::string::npos) << c.out;
}

// verify's own logic, on a machine without a GPU: against a second CPU
// backend every figure must be exactly zero, in both modes, and it must say
// so; a wrong comparison or a check that cannot fail shows here.
TEST(CliVerify, AgainstTheCpuFindsNoDifferenceAlignedOrFreeRunning) {
  for (const std::string mode : {"", " --free-run"}) {
    const auto r = run_wuxia("verify --against cpu --data " + kData +
                             " --steps 3 --hidden 12 --embed 6 --layers 2 --batch 8 --threads 1" + mode);
    EXPECT_EQ(r.code, 0) << mode << "\n" << r.out;
    EXPECT_NE(r.out.find("PASS: largest relative error 0.00e+00"), std::string::npos) << mode << "\n" << r.out;
    EXPECT_NE(r.out.find("step 3/3"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("grad lstm.weight_hh_l1"), std::string::npos) << "every tensor is compared\n" << r.out;
  }
}

TEST(CliVerify, WithoutAGpuExitsTwoHavingComparedNothing) {
  if (wuxia::cuda_available()) GTEST_SKIP() << "a GPU is present";
  const auto r = run_wuxia("verify --steps 1");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("nothing was compared"), std::string::npos) << r.out;
  EXPECT_NE(run_wuxia("verify --against tpu").out.find("--against tpu"), std::string::npos);
}

// src/platform/omp_env.cpp: libgomp itself (its OMP_DISPLAY_ENV report, printed when it
// starts) waits passively unless the user chose a policy, which then stands.
// Passive is a spin count of 0; libgomp's own default would be 300000.
TEST(CliThreads, ThreadsWaitPassivelyUnlessTheUserChose) {
  const std::string bin = std::string(WUXIA_BINARY) + " --help";
  const auto dflt = wuxia::test::run_command("env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT OMP_DISPLAY_ENV=verbose " + bin);
  EXPECT_NE(dflt.out.find("GOMP_SPINCOUNT = '0'"), std::string::npos) << dflt.out;
  const auto active =
      wuxia::test::run_command("env -u GOMP_SPINCOUNT OMP_WAIT_POLICY=active OMP_DISPLAY_ENV=verbose " + bin);
  EXPECT_NE(active.out.find("OMP_WAIT_POLICY = 'ACTIVE'"), std::string::npos) << active.out;
  const auto spin =
      wuxia::test::run_command("env -u OMP_WAIT_POLICY GOMP_SPINCOUNT=1234 OMP_DISPLAY_ENV=verbose " + bin);
  EXPECT_NE(spin.out.find("GOMP_SPINCOUNT = '1234'"), std::string::npos) << spin.out;
  const auto bench = run_wuxia("bench --steps 1 --warmup 0 --hidden 8 --embed 4 --batch 8 --json");
  EXPECT_NE(bench.out.find("OMP_WAIT_POLICY="), std::string::npos) << "bench reports the policy\n" << bench.out;
}

TEST(CliHelp, EverySubcommandHasHelp) {
  for (const char* cmd : {"train", "sample", "eval"}) {
    const auto r = run_wuxia(std::string(cmd) + " --help");
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << cmd << r.out;
  }
}

TEST(CliHostileInput, BadNameFilesGiveAMessageNamingTheFileAndLine) {
  wuxia::test::TempDir dir;
  wuxia::test::write_file(dir.file("latin1.txt"), "ok\ncaf\xE9\n");
  wuxia::test::write_file(dir.file("empty.txt"), "");
  wuxia::test::write_file(dir.file("comments.txt"), "# a\n# b\n\n");
  wuxia::test::write_file(dir.file("nul.txt"), std::string("ab\0c\n", 5));
  wuxia::test::write_file(dir.file("long.txt"), "x\n" + std::string(1 << 20, 'a') + "\n");
  wuxia::test::write_file(dir.file("locked.txt"), "张三\n李四\n");
  std::filesystem::permissions(dir.file("locked.txt"), std::filesystem::perms::none);
  const bool root_reads_anyway = std::ifstream(dir.file("locked.txt")).good();
  struct Case {
    std::string file, expect;
  } cases[] = {
      {"latin1.txt", "latin1.txt:2: invalid UTF-8 at byte 3"},
      {"empty.txt", "empty.txt: no names"},
      {"comments.txt", "comments.txt: no names"},
      {"nul.txt", "nul.txt:1: control character"},
      {"long.txt", "long.txt:2: line is longer than 4096 bytes"},
      {"locked.txt", "locked.txt: cannot open: Permission denied"},
      {"/proc/self/mem", "/proc/self/mem: read error"},  // unreadable even for root
  };
  for (const auto& c : cases) {
    if (c.file == "locked.txt" && root_reads_anyway) continue;  // root ignores permissions
    const std::string path = c.file[0] == '/' ? c.file : dir.file(c.file);
    const auto r = run_wuxia("train --data " + path + " --steps 1 --out " + dir.file("o"));
    EXPECT_EQ(r.code, 1) << c.file;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << c.file << "\n" << r.out;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("o/best.safetensors")));
}

TEST(CliHostileInput, NonsenseFlagValuesAreRefused) {
  struct Case {
    std::string args, expect;
  } cases[] = {
      {"train --embed 0", "--embed, --hidden and --layers must be at least 1"},
      {"train --layers -1", "at least 1"},
      {"train --dropout 1", "--dropout must be in [0, 1)"},
      {"train --lr -1", "--lr must be greater than 0"},
      {"train --steps 0", "--steps must be at least 1"},
      {"train --steps 5 --epochs 2", "not both"},
      {"train --threads -2", "--threads must be 0"},
      {"sample --temperature -1", "--temperature must be greater than 0"},
      {"sample --top-p 0", "--top-p must be in (0, 1]"},
      {"sample --top-k -1", "--top-k"},
      {"eval --batch 0 x.txt", "--batch must be at least 1"},
  };
  for (const auto& c : cases) {
    const auto r = run_wuxia(c.args);
    EXPECT_NE(r.code, 0) << c.args;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << c.args << "\n" << r.out;
  }
}

// A full disk, simulated by a file-size limit (RLIMIT_FSIZE) on the process:
// the checkpoint write fails with a clear error, and the checkpoint from the
// earlier run is still there, whole.
TEST(CliHostileInput, FullDiskFailsCleanlyAndKeepsThePreviousCheckpoint) {
  wuxia::test::TempDir dir;
  const std::string common =
      "train --data " + kData + " --steps 2 --hidden 16 --embed 8 --layers 1 --device cpu --out " + dir.file("o");
  auto r = run_wuxia(common);
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string before = wuxia::test::read_file(dir.file("o/last.safetensors"));
  // ulimit -f counts 1024-byte blocks; SIGXFSZ is ignored so write() reports EFBIG.
  const std::string cmd = "sh -c 'trap \"\" XFSZ; ulimit -f 8; exec " + std::string(WUXIA_BINARY) + " " + common +
                          " --steps 4 --seed 3 --overwrite' 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int status = ::pclose(p);
  EXPECT_NE(WEXITSTATUS(status), 0) << out;
  EXPECT_NE(out.find("write failed"), std::string::npos) << out;
  EXPECT_EQ(wuxia::test::read_file(dir.file("o/last.safetensors")), before);
  for (const auto& e : std::filesystem::directory_iterator(dir.file("o"))) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << "left behind: " << e.path();
  }
}

// --convert: a traditional list trains a simplified model (t2s), whose
// samples come out traditional again (s2t), and eval reads traditional names.
TEST(CliConvert, TraditionalDataTrainsSimplifiedAndSamplesComeOutTraditional) {
  wuxia::test::TempDir dir;
  const wuxia::ScriptConverter s2t("s2t"), t2s("t2s");
  const wuxia::NameFile cast = wuxia::load_name_file(kData, "jinyong");
  std::string trad;
  for (const auto& n : cast.names) trad += wuxia::utf8::encode(s2t(n)) + "\n";
  wuxia::test::write_file(dir.file("trad.txt"), trad);
  const auto t = run_wuxia("train --data jinyong=" + dir.file("trad.txt") +
                           " --convert t2s --steps 30 --hidden 16"
                           " --embed 8 --threads 1 --device cpu --out " +
                           dir.file("o"));
  ASSERT_EQ(t.code, 0) << t.out;
  const wuxia::Checkpoint ck = wuxia::load_checkpoint(dir.file("o/best.safetensors"));
  EXPECT_NE(std::find(ck.chars.begin(), ck.chars.end(), U'张'), ck.chars.end());
  EXPECT_EQ(std::find(ck.chars.begin(), ck.chars.end(), U'張'), ck.chars.end()) << "the model is simplified";
  const auto s = run_wuxia("sample --checkpoint " + dir.file("o/best.safetensors") + " -n 30 --convert s2t --seed 3");
  ASSERT_EQ(s.code, 0) << s.out;
  std::istringstream lines(s.out);
  int traditional = 0, n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    const std::u32string name = wuxia::utf8::decode_or_throw(line, "sample");
    EXPECT_EQ(s2t(t2s(name)), name) << line << " is not in traditional characters";
    traditional += t2s(name) != name;
  }
  EXPECT_EQ(n, 30);
  EXPECT_GT(traditional, 0) << "no name needed converting: the test shows nothing";
  const auto e = run_wuxia("eval --checkpoint " + dir.file("o/best.safetensors") +
                           " --device cpu --convert t2s --json " + dir.file("trad.txt"));
  ASSERT_EQ(e.code, 0) << e.out;
  EXPECT_EQ(nlohmann::json::parse(e.out)["skipped"], 0) << e.out;
  EXPECT_NE(run_wuxia("eval --checkpoint " + dir.file("o/best.safetensors") + " --convert x2y " + dir.file("trad.txt"))
                .out.find("--convert x2y"),
            std::string::npos);
}

// --init: the fine-tuned checkpoint names its base, and sample --report and
// eval --json say so.
TEST(CliFineTune, InitRecordsTheBaseThatReportAndJsonShow) {
  wuxia::test::TempDir dir;
  const std::string small = " --hidden 16 --embed 8 --threads 1 --device cpu --eval-every 10";
  ASSERT_EQ(run_wuxia("train --data " + std::string(WUXIA_DATA_DIR) + "/gulong.txt --steps 20 --out " +
                      dir.file("base") + small)
                .code,
            0);
  const auto t = run_wuxia("train --init " + dir.file("base/last.safetensors") + " --data " + kData +
                           " --steps 20 --out " + dir.file("tuned") + small);
  ASSERT_EQ(t.code, 0) << t.out;
  EXPECT_NE(t.out.find("init: weights of"), std::string::npos) << t.out;
  const wuxia::Checkpoint tuned = wuxia::load_checkpoint(dir.file("tuned/last.safetensors"));
  EXPECT_FALSE(tuned.settings.keep_last) << "one list keeps its best validation; --keep-last is for several styles";
  EXPECT_EQ(tuned.settings.balance_patience, 0);
  const wuxia::Checkpoint base = wuxia::load_checkpoint(dir.file("base/last.safetensors"));
  const auto r = run_wuxia("sample --checkpoint " + dir.file("tuned/last.safetensors") + " -n 5 --report --seed 1");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("style jinyong"), std::string::npos) << "samples default to the tuned style\n" << r.out;
  EXPECT_NE(r.out.find("fine-tuned from last.safetensors (step 20, " + base.checksum + ")"), std::string::npos)
      << r.out;
  const auto e = run_wuxia("eval --checkpoint " + dir.file("tuned/last.safetensors") + " --device cpu --json " + kData);
  ASSERT_EQ(e.code, 0) << e.out;
  const auto j = nlohmann::json::parse(e.out);
  ASSERT_EQ(j["lineage"].size(), 1u) << e.out;
  EXPECT_EQ(j["lineage"][0]["checksum"], base.checksum);
  EXPECT_EQ(j["lineage"][0]["step"], 20);
  const auto both =
      run_wuxia("train --init " + dir.file("base/last.safetensors") + " --resume " + dir.file("base/last.safetensors"));
  EXPECT_NE(both.code, 0);
  EXPECT_NE(both.out.find("--init and --resume do not go together"), std::string::npos) << both.out;
}

// The default route: the first run pretrains the base on the bundled corpora
// (a few steps here) into --base-dir, later runs reuse it, an unfinished
// base is carried on, and the cases that train from scratch say so.
TEST(CliDefaultRoute, PretrainsTheBaseOnceThenFineTunesFromIt) {
  wuxia::test::TempDir dir;
  const std::string base = dir.file("base"), common = " --base-dir " + base + " --device cpu --threads 2";
  const auto first = run_wuxia("train --base-steps 4 --steps 3" + common + " --out " + dir.file("a"));
  ASSERT_EQ(first.code, 0) << first.out;
  EXPECT_NE(first.out.find("pretraining one on the bundled corpora"), std::string::npos) << first.out;
  // The fine-tune's model line after the base's closing figures: those are
  // printed to 4 places, and the stream must not keep that (0.5000).
  EXPECT_NE(first.out.find("dropout=0.5 ("), std::string::npos) << first.out;
  const wuxia::Checkpoint a = wuxia::load_checkpoint(dir.file("a/last.safetensors"));
  ASSERT_EQ(a.lineage.size(), 1u);
  EXPECT_EQ(a.lineage[0].step, 4);
  // Both casts, each a style of its own, whose START rows the fine-tune
  // moves faster (they start alike).
  EXPECT_EQ(a.styles, (std::vector<std::string>{"ancient", "poets", "jinyong", "gulong"}));
  EXPECT_EQ(a.default_style(), 2);
  EXPECT_FALSE(a.train_names.at(3).empty());
  EXPECT_EQ(a.settings.new_styles_lr, wuxia::kTuneNewStylesLr);
  EXPECT_TRUE(a.settings.balance_styles) << "Gu Long's 341 names weigh as much as Jin Yong's 909";
  EXPECT_EQ(a.settings.balance_patience, wuxia::kTuneBalancePatience) << "Gu Long's repetition ends when it turns";
  EXPECT_TRUE(a.settings.keep_last) << "Jin Yong's names gain to the run's end";
  EXPECT_EQ(a.config.hidden, wuxia::kBaseHidden);
  const wuxia::Checkpoint made = wuxia::load_checkpoint(base + "/last.safetensors");
  EXPECT_EQ(made.settings.lr, wuxia::kBaseLr) << "the base is made with its own recipe, not train's defaults";
  EXPECT_EQ(made.settings.batch, wuxia::kBaseBatch);

  const auto again = run_wuxia("train --base-steps 4 --steps 3 --new-styles-lr 1" + common + " --out " + dir.file("b"));
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_EQ(again.out.find("pretraining"), std::string::npos) << "the base is made once\n" << again.out;
  EXPECT_EQ(wuxia::load_checkpoint(dir.file("b/last.safetensors")).settings.new_styles_lr, 1.0) << "given: kept";
  const auto more = run_wuxia("train --base-steps 6 --steps 3" + common + " --out " + dir.file("c"));
  ASSERT_EQ(more.code, 0) << more.out;
  EXPECT_NE(more.out.find("stopped at step 4; going on to step 6"), std::string::npos) << more.out;
  EXPECT_EQ(wuxia::load_checkpoint(dir.file("c/last.safetensors")).lineage.at(0).step, 6);

  const auto scratch = run_wuxia("train --from-scratch --steps 3" + common + " --out " + dir.file("d"));
  ASSERT_EQ(scratch.code, 0) << scratch.out;
  EXPECT_TRUE(wuxia::load_checkpoint(dir.file("d/last.safetensors")).lineage.empty());
  const auto shaped = run_wuxia("train --hidden 8 --steps 3" + common + " --out " + dir.file("e"));
  EXPECT_NE(shaped.out.find("--hidden given: training from scratch"), std::string::npos) << shaped.out;
  wuxia::test::write_file(dir.file("latin.txt"), "Alice\nBob\nCarol\nDave\nErin\nFrank\n");
  const auto latin =
      run_wuxia("train --data " + dir.file("latin.txt") + " --steps 3" + common + " --out " + dir.file("f"));
  ASSERT_EQ(latin.code, 0) << latin.out;
  EXPECT_NE(latin.out.find("training from scratch: 0% of the data's characters"), std::string::npos) << latin.out;
}

#if WUXIA_NO_SERVE
// A build without wuxia serve (-DWUXIA_SERVE=OFF: the GPU bundle) still has
// the command, which says why it cannot start rather than being unknown.
TEST(NoServeBuild, ServeSaysTheBuildLeftItOut) {
  const auto r = run_wuxia("serve");
  EXPECT_NE(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("built without wuxia serve"), std::string::npos) << r.out;
}
#endif

namespace {

// A model of `names` (one a line) after 5 steps from scratch, in `dir`;
// sampled hot, it writes most combinations of their characters.
std::string train_briefly(const wuxia::test::TempDir& dir, const std::string& names) {
  wuxia::test::write_file(dir.file("n.txt"), names);
  const auto t = run_wuxia("train --data " + dir.file("n.txt") + " --from-scratch --steps 5 --device cpu --out " +
                           dir.file("m") + " --quiet");
  EXPECT_EQ(t.code, 0) << t.out;
  return dir.file("m/best.safetensors");
}

}  // namespace

// `wuxia sample` refuses new names that are common words (data/words.tsv)
// unless --allow-words: the same seed's list with the flag holds some, and
// without it none.
TEST(CliSample, CommonWordsAreRefusedUnlessAllowed) {
  wuxia::test::TempDir dir;
  const std::string model = train_briefly(dir, "东海\n西山\n南天\n北水\n海天\n山人\n天水\n地山\n人海\n水南\n");
  ASSERT_FALSE(HasFailure());
  const std::string common = "sample --checkpoint " + model + " -n 60 --seed 3 --temperature 3 --top-p 1";
  std::set<std::string> words;
  const auto allowed = run_wuxia(common + " --allow-words");
  const auto refused = run_wuxia(common);
  ASSERT_EQ(allowed.code, 0) << allowed.out;
  ASSERT_EQ(refused.code, 0) << refused.out;
  std::istringstream table(wuxia::test::read_file(std::string(WUXIA_DATA_DIR) + "/words.tsv"));
  for (std::string line; std::getline(table, line);) {
    if (!line.empty() && line[0] != '#') words.insert(line.substr(0, line.find('\t')));
  }
  const std::set<std::string> trained{"东海", "西山", "南天", "北水", "海天", "山人", "天水", "地山", "人海", "水南"};
  auto count_words = [&](const std::string& out) {  // new names that are words (a training name may be one)
    std::istringstream in(out);
    int k = 0;
    for (std::string name; std::getline(in, name);) k += words.count(name) > 0 && !trained.count(name);
    return k;
  };
  EXPECT_GT(count_words(allowed.out), 0) << allowed.out;
  EXPECT_EQ(count_words(refused.out), 0) << refused.out;
}

// `wuxia sample --style S` leaves out the names the model learnt as another
// style's (a Jin Yong list does not offer Gu Long's 阿飞), and says how many.
// Two lists split the six names of three characters taken two at a time;
// with two-character names only, style b's list can hold its own three and
// the doubles (云云 is refused as a word), never a's three.
TEST(CliSample, AStylesListLeavesOutTheNamesOfAnotherStyle) {
  wuxia::test::TempDir dir;
  wuxia::test::write_file(dir.file("a.txt"), "云岚\n岚溪\n溪云\n");
  wuxia::test::write_file(dir.file("b.txt"), "云溪\n岚云\n溪岚\n");
  const auto t = run_wuxia("train --data " + dir.file("a.txt") + " --data " + dir.file("b.txt") +
                           " --from-scratch --steps 5 --device cpu --quiet --out " + dir.file("m"));
  ASSERT_EQ(t.code, 0) << t.out;
  const auto r = run_wuxia("sample --checkpoint " + dir.file("m/best.safetensors") +
                           " --style b -n 9 --seed 3 --temperature 3 --top-p 1 --min-len 2 --max-len 2 --label");
  EXPECT_EQ(r.code, 3) << "only six names can be b's list\n" << r.out;
  for (const std::string& a : {"云岚", "岚溪", "溪云"}) EXPECT_EQ(r.out.find(a), std::string::npos) << a << "\n" << r.out;
  EXPECT_NE(r.out.find("云溪\ttrain"), std::string::npos) << "its own names stay\n" << r.out;
  const std::regex other(" ([1-9][0-9]*) of another style\\)");
  EXPECT_TRUE(std::regex_search(r.out, other)) << r.out;
}

// `wuxia sample` refuses new names ending as almost no real name ends
// (include/wuxia/naming/endings.hpp: 张小, 李自, 王赵) unless
// --allow-rare-endings; the training names end otherwise, so none is spared.
TEST(CliSample, NamesEndingAsNoRealNameEndsAreRefusedUnlessAllowed) {
  wuxia::test::TempDir dir;
  const std::string model = train_briefly(dir, "张小明\n李自强\n王小龙\n赵自立\n陈小虎\n刘自成\n");
  ASSERT_FALSE(HasFailure());
  const std::string common =
      "sample --checkpoint " + model + " -n 60 --seed 3 --temperature 3 --top-p 1 --min-len 2 --max-len 3";
  const auto allowed = run_wuxia(common + " --allow-rare-endings");
  const auto refused = run_wuxia(common);
  ASSERT_EQ(allowed.code, 0) << allowed.out;
  ASSERT_EQ(refused.code, 0) << refused.out;
  auto count_rare = [](const std::string& out) {
    const std::u32string rare = U"小自张李王赵陈刘";
    std::istringstream in(out);
    int k = 0;
    for (std::string name; std::getline(in, name);) {
      const std::u32string n = wuxia::utf8::decode(name).value_or(U"");
      k += !n.empty() && rare.find(n.back()) != std::u32string::npos;
    }
    return k;
  };
  EXPECT_GT(count_rare(allowed.out), 0) << allowed.out;
  EXPECT_EQ(count_rare(refused.out), 0) << refused.out;
}
