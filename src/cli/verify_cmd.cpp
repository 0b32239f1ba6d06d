// wuxia verify: the same model, seed and batches on the CPU (the reference)
// and the GPU; per training step, how far apart the two backends are.
//
// Exit status: 0 every figure within tolerance; 1 an error (bad flag,
// unreadable data, a CUDA failure); 2 no usable GPU, nothing compared;
// 3 compared, and something is above tolerance.
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "cli.hpp"
#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/data/names.hpp"
#include "wuxia/model/compare.hpp"
#include "wuxia/model/lstm_layer.hpp"
#include "wuxia/model/params.hpp"
#include "wuxia/platform/device.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/checkpoint.hpp"
#include "wuxia/train/verify.hpp"

namespace wuxia::cli {
namespace {

constexpr int kExitNoGpu = 2;
constexpr int kExitMismatch = 3;

std::string rtol_text(double x) {
  std::ostringstream o;
  o << x;
  return o.str();
}

}  // namespace

int cmd_verify(int argc, char** argv) {
  const TrainSettings d;
  ModelConfig m;
  m.dropout = 0.1;
  cxxopts::Options opts(
      "wuxia verify",
      "Train the same model on the CPU and the GPU, step by step on the same batches, and report how "
      "far apart the two are.\n\n"
      "Each step starts the GPU model from the CPU model's parameters and optimizer moments, and the\n"
      "GPU optimizer steps on the CPU's gradients, so each figure is one step's disagreement and\n"
      "errors do not compound. --free-run lets both run on their own instead, each step the way\n"
      "`wuxia train` runs it (on the GPU a replayed CUDA Graph), so errors compound.\n"
      "An error is max|gpu - cpu| over a tensor, relative to the tensor's max|cpu|; a tensor passes\n"
      "when max|gpu - cpu| <= atol + rtol * max|cpu|.\n\n"
      "Exit status: 0 all within tolerance, 1 error, 2 no usable GPU (nothing compared),\n"
      "3 something above tolerance.");
  // clang-format off
  opts.add_options()
    ("data", "name file, as PATH or STYLE=PATH (default: the bundled Jin Yong cast)", cxxopts::value<std::string>())
    ("steps", "training steps to compare", cxxopts::value<int>()->default_value("3"))
    ("batch", "names per batch", cxxopts::value<int>()->default_value(std::to_string(d.batch)))
    ("seed", "random seed (init, batches, dropout)", cxxopts::value<uint64_t>()->default_value(std::to_string(d.seed)))
    ("lr", "learning rate of every step (no schedule)", cxxopts::value<double>()->default_value(std::to_string(d.lr)))
    ("rtol", "relative tolerance, against each tensor's max|cpu| (default 1e-3; " + rtol_text(kBf16ModelRtol) + " with --precision bf16)", cxxopts::value<double>())
    ("atol", "absolute tolerance", cxxopts::value<double>()->default_value("1e-6"))
    ("tf32", "let cuBLAS use TF32 tensor cores (expect errors near 1e-3: raise --rtol)")
    ("precision", "GEMM inputs on both sides: fp32, or bf16 (rounded to bfloat16, FP32 sums; the CPU emulates it)", cxxopts::value<std::string>()->default_value("fp32"))
    ("free-run", "do not re-align the GPU model with the CPU's each step (errors compound)")
    ("threads", "CPU threads (0 = all cores)", cxxopts::value<int>()->default_value("0"))
    ("against", "the backend checked against the CPU: cuda, or cpu (a check of verify itself: no differences)",
     cxxopts::value<std::string>()->default_value("cuda"));
  // clang-format on
  ModelConfig shape = m;
  shape.dropout = 0.1;  // on, so the dropout masks are compared too
  add_model_flags(opts, shape, "dropout (on in every step, so the masks are compared too)");
  add_recurrence_flag(opts);
  cxxopts::ParseResult r;
  if (!parse(opts, argc, argv, r)) return 0;

  VerifyOptions v;
  v.steps = r["steps"].as<int>();
  read_model_flags(r, m);
  v.batch = r["batch"].as<int>();
  v.seed = r["seed"].as<uint64_t>();
  v.lr = r["lr"].as<double>();
  v.precision = parse_precision(r["precision"].as<std::string>(), "--precision");
  const double rtol = r.count("rtol")                   ? r["rtol"].as<double>()
                      : v.precision == Precision::kBf16 ? kBf16ModelRtol
                                                        : 1e-3;
  // Whole-model tensors: each measured against its own largest |cpu| (compare.hpp says why).
  v.tol = Tolerance{r["atol"].as<double>(), rtol, Tolerance::Scale::Tensor};
  const bool tf32 = r.count("tf32") > 0;
  v.free_run = r.count("free-run") > 0;
  const int threads = threads_flag(r);
  v.validate();
  const std::string against = r["against"].as<std::string>();
  if (against != "cuda" && against != "cpu") throw Error("--against " + against + ": expected cuda or cpu");
  const RecurrencePath recurrence = recurrence_flag(r);

  std::string why;
  if (against == "cuda" && !cuda_available(&why)) {
    std::cerr << "wuxia verify: no usable GPU: " << why << "\n"
              << "verify compares the CUDA backend with the CPU one and needs both; nothing was compared.\n";
    return kExitNoGpu;
  }
  v.data = r.count("data") ? parse_data_spec(r["data"].as<std::string>()) : DataSpec{"jinyong", default_data_path()};
  v.model = m;
  cpu::CpuBackend<float> cpu_be(threads);  // the reference: the step loop (auto on the CPU)
  const std::unique_ptr<Backend<float>> other = against == "cuda" ? make_backend("cuda", threads, tf32).backend
                                                                  : std::make_unique<cpu::CpuBackend<float>>(threads);
  other->set_recurrence(recurrence);
  const std::string described = (against == "cuda" ? gpu_description() : "the CPU again (--against cpu)") +
                                (tf32 ? ", TF32 GEMMs" : "") + ", --recurrence " + recurrence_path_name(recurrence);
  return verify_backends(v, cpu_be, *other, described, std::cout) ? 0 : kExitMismatch;
}

}  // namespace wuxia::cli
