// The command line against hostile input (issue 28): every value bounded,
// refused quickly with an error naming the flag (or file and line).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "test_util.hpp"
#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/infer/sampler.hpp"
#include "wuxia/model/params.hpp"
#include "wuxia/naming/name_request.hpp"
#include "wuxia/platform/cuda_module.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/train/progress.hpp"

using wuxia::test::run_wuxia;

namespace {

// Seconds `f` took.
template <class F>
double seconds(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST(SurnameBound, ParseTrimsSpacesAndTakesOneOrTwoCharacters) {
  EXPECT_EQ(wuxia::parse_surname("张", "--surname"), U"张");
  EXPECT_EQ(wuxia::parse_surname("  欧阳\t", "--surname"), U"欧阳");
  EXPECT_EQ(wuxia::parse_surname("\u3000张三\u3000", "--surname"), U"张三");
  for (const std::string bad : {"", " ", "\u3000", "张三丰", "a b c"}) {
    try {
      wuxia::parse_surname(bad, "--surname");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const wuxia::Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--surname", 0), 0u) << e.what();
    }
  }
}

TEST(SurnameBound, CheckRequestRefusesALongSurnameItWasGivenDirectly) {
  const wuxia::NamingData data = wuxia::NamingData::load_bundled();
  wuxia::NameRequest q;
  q.surname = U"张三丰";
  EXPECT_THROW(wuxia::check_request(data, q), wuxia::Error);
}

TEST(SurnameBound, TheCommandRefusesALongSurnameAtOnceNamingTheFlag) {
  std::string long_surname;
  for (int i = 0; i < 10000; ++i) long_surname += "张";
  wuxia::test::RunResult r;
  const double took = seconds([&] { r = run_wuxia("name --surname " + long_surname); });
  EXPECT_EQ(r.code, 1) << r.out.substr(0, 400);
  EXPECT_NE(r.out.find("--surname of 10000 characters: a surname is one or two characters"), std::string::npos)
      << r.out.substr(0, 400);
  EXPECT_LT(r.out.size(), 1000u);  // the value is not echoed whole
  EXPECT_LT(took, 1.0);
  for (const std::string& bad : {std::string("张三丰"), std::string("' '")}) {
    r = run_wuxia("name --surname " + bad);
    EXPECT_EQ(r.code, 1) << bad << "\n" << r.out;
    EXPECT_NE(r.out.find("--surname"), std::string::npos) << bad << "\n" << r.out;
    EXPECT_EQ(r.out.find("武帝"), std::string::npos) << r.out;
  }
}

TEST(MetricsFile, RefusesAFileThatIsNotItsOwnJsonLinesAndLeavesItAlone) {
  wuxia::test::TempDir dir;
  const std::vector<std::pair<std::string, std::string>> others = {
      {"ck.safetensors", std::string("\x40\0\0\0\0\0\0\0{\"__metadata__\":{}}", 26) + std::string(64, '\0')},
      {"names.txt", "张三\n李四\n"},
      {"other.jsonl", "{\"name\": \"张三\"}\n"},
      {"list.json", "[1, 2]\n"},
      {"long.txt", std::string(10000, 'a')},
  };
  for (const auto& [file, bytes] : others) {
    wuxia::test::write_file(dir.file(file), bytes);
    try {
      wuxia::check_metrics_file(dir.file(file));
      ADD_FAILURE() << "accepted " << file;
    } catch (const wuxia::Error& e) {
      EXPECT_NE(std::string(e.what()).find("--metrics " + dir.file(file) + ": the file exists and is not"),
                std::string::npos)
          << e.what();
    }
    EXPECT_EQ(wuxia::test::read_file(dir.file(file)), bytes) << file;
  }
  // Its own lines, an empty file and none at all pass.
  wuxia::test::write_file(dir.file("m.jsonl"), "{\"step\":1,\"epoch\":1,\"loss\":4.2,\"lr\":0.001}\n");
  EXPECT_NO_THROW(wuxia::check_metrics_file(dir.file("m.jsonl")));
  wuxia::test::write_file(dir.file("empty.jsonl"), "");
  EXPECT_NO_THROW(wuxia::check_metrics_file(dir.file("empty.jsonl")));
  EXPECT_NO_THROW(wuxia::check_metrics_file(dir.file("new.jsonl")));
  EXPECT_NO_THROW(wuxia::check_metrics_file("/dev/null"));
}

TEST(MetricsFile, TrainRefusesToAppendIntoACheckpoint) {
  wuxia::test::TempDir dir;
  const std::string ck = std::string("\x40\0\0\0\0\0\0\0{\"__metadata__\":{}}", 26);
  wuxia::test::write_file(dir.file("best.safetensors"), ck);
  const auto r = run_wuxia("train --data " + std::string(WUXIA_DATA_DIR) + "/jinyong.txt --from-scratch --steps 2 " +
                           "--hidden 8 --embed 8 --batch 4 --out " + dir.file("run") + " --metrics " +
                           dir.file("best.safetensors"));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("--metrics " + dir.file("best.safetensors")), std::string::npos) << r.out;
  EXPECT_EQ(wuxia::test::read_file(dir.file("best.safetensors")), ck);
}

TEST(ExplainFile, ALineWithoutEndIsRefusedAsItArrivesNamingFileAndLine) {
  wuxia::test::TempDir dir;
  wuxia::test::write_file(dir.file("big.txt"), "张三\n" + std::string(10 << 20, 'a') + "\n");
  wuxia::test::RunResult r;
  double took = seconds([&] { r = run_wuxia("explain --file " + dir.file("big.txt")); });
  EXPECT_EQ(r.code, 1) << r.out.substr(0, 400);
  EXPECT_NE(r.out.find(dir.file("big.txt") + ":2: line is longer than 4096 bytes"), std::string::npos)
      << r.out.substr(0, 400);
  EXPECT_LT(took, 2.0);
  took = seconds([&] { r = run_wuxia("explain --file /dev/zero"); });
  EXPECT_EQ(r.code, 1) << r.out.substr(0, 400);
  EXPECT_NE(r.out.find("/dev/zero:1: line is longer than"), std::string::npos) << r.out.substr(0, 400);
  EXPECT_LT(took, 2.0);
}

TEST(CudaModule, AFileThatIsNoSharedLibraryIsNotTakenForTheModule) {
  wuxia::test::TempDir dir;
  wuxia::test::write_file(dir.file("libwuxia_cuda.so"), std::string("\x7f"
                                                                    "ELF",
                                                                    4) +
                                                            std::string(60, '\0'));
  const char* old = std::getenv("WUXIA_CUDA_MODULE");
  const std::string saved = old ? old : "";
  ::setenv("WUXIA_CUDA_MODULE", "/etc/passwd", 1);
  EXPECT_EQ(wuxia::find_cuda_module(), "");
  ::setenv("WUXIA_CUDA_MODULE", dir.file("libwuxia_cuda.so").c_str(), 1);
  EXPECT_EQ(wuxia::find_cuda_module(), dir.file("libwuxia_cuda.so"));
  if (old) {
    ::setenv("WUXIA_CUDA_MODULE", saved.c_str(), 1);
  } else {
    ::unsetenv("WUXIA_CUDA_MODULE");
  }
}

namespace {

// An untrained model over a small vocabulary, as test_sampler.cpp's.
struct TinyModel {
  wuxia::Vocab vocab{{"jinyong"}, {U'令', U'狐', U'冲', U'任', U'我', U'行', U'张', U'三'}};
  wuxia::ModelConfig cfg{vocab.size(), 6, 8, 2, 0.0};
  wuxia::cpu::CpuBackend<float> be;
  wuxia::Model<float> model{be, cfg};
  wuxia::NameSets known;
  TinyModel() { model.set_params(wuxia::init_params(cfg, 5)); }
};

}  // namespace

TEST(SamplerBound, ATimeBudgetStopsARequestThatCannotBeMet) {
  TinyModel m;
  wuxia::SampleOptions o;
  o.n = 1000;
  o.temperature = 1e308;
  o.max_len = 2;  // nearly every draw runs past it
  o.max_seconds = 1e-9;
  wuxia::SampleStats stats;
  const auto names = wuxia::sample_names(m.model, m.vocab, m.known, o, &stats);
  EXPECT_TRUE(stats.out_of_time);
  EXPECT_LT(stats.attempts, 100 * o.n + 1000);
  EXPECT_LT(names.size(), 1000u);
  o.max_seconds = -1;
  EXPECT_THROW(o.validate_flags(), wuxia::Error);
}

TEST(SamplerBound, ATemperatureTooSmallForAFloatIsGreedy) {
  const std::vector<float> logits = {0.5f, 2.0f, 1.0f, -1.0f};
  const std::vector<char> all(4, 1);
  for (double u : {0.0, 0.5, 0.99}) {
    EXPECT_EQ(wuxia::pick_token(logits.data(), 4, all, 1e-39, 0, 1.0, u), 1) << u;
    EXPECT_EQ(wuxia::pick_token(logits.data(), 4, all, 1e-45, 0, 1.0, u), 1) << u;
  }
  TinyModel m;
  wuxia::SampleOptions o;
  o.n = 3;
  o.temperature = 1e-39;
  o.top_k = 0;
  o.max_len = 64;
  wuxia::SampleStats stats;
  const auto names = wuxia::sample_names(m.model, m.vocab, m.known, o, &stats);
  o.top_k = 1;
  const auto greedy = wuxia::sample_names(m.model, m.vocab, m.known, o);
  ASSERT_EQ(names.size(), greedy.size());
  for (std::size_t i = 0; i < names.size(); ++i) EXPECT_EQ(names[i].name, greedy[i].name);
}

TEST(SamplesBound, ScoreAndExplainRefuseMoreThanServeAllows) {
  for (const std::string cmd :
       {"score 张三 --samples 1000000000", "explain 张三 --samples 1000000000", "explain 张三 --samples 20001"}) {
    wuxia::test::RunResult r;
    const double took = seconds([&] { r = run_wuxia(cmd); });
    EXPECT_EQ(r.code, 1) << cmd << "\n" << r.out;
    EXPECT_NE(r.out.find("--samples must be from 1 to 20000"), std::string::npos) << cmd << "\n" << r.out;
    EXPECT_LT(took, 1.0) << cmd;
  }
}
