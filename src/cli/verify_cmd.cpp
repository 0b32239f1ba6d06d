// wuxia verify: the same model, seed and batches on the CPU (the reference)
// and the GPU; per training step, how far apart the two backends are.
//
// Exit status: 0 every figure within tolerance; 1 an error (bad flag,
// unreadable data, a CUDA failure); 2 no usable GPU, nothing compared;
// 3 compared, and something is above tolerance.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "wuxia/backend.hpp"
#include "wuxia/batch.hpp"
#include "wuxia/checkpoint.hpp"
#include "wuxia/compare.hpp"
#include "wuxia/cpu_backend.hpp"
#include "wuxia/device.hpp"
#include "wuxia/error.hpp"
#include "wuxia/model.hpp"
#include "wuxia/names.hpp"
#include "wuxia/params.hpp"
#include "wuxia/training_run.hpp"
#include "wuxia/vocab.hpp"

namespace wuxia::cli {
namespace {

constexpr int kExitNoGpu = 2;
constexpr int kExitMismatch = 3;

std::string sci(double x) {
  if (std::isinf(x)) return "inf/nan";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2e", x);
  return buf;
}

std::string shape_of(const ParamInfo& p) {
  std::string s = "[";
  for (std::size_t i = 0; i < p.shape.size(); ++i) s += (i ? ", " : "") + std::to_string(p.shape[i]);
  return s + "]";
}

// The figures of a run, one line each, and the worst of them.
struct Report {
  double worst = 0;
  std::string worst_what;
  bool all_ok = true;
  // `ok` from the caller where a line sums up several tensors.
  void line(const std::string& what, const Diff& df, int step, bool ok, const std::string& extra = "") {
    all_ok = all_ok && ok;
    if (worst_what.empty() || df.rel() > worst) {
      worst = df.rel();
      worst_what = what + " at step " + std::to_string(step);
    }
    std::cout << "  " << std::left << std::setw(36) << what << std::right << " rel " << sci(df.rel()) << "  max|diff| "
              << sci(df.max_abs) << extra << (ok ? "" : "   <-- above tolerance") << "\n";
  }
  void check(const std::string& what, const Diff& df, int step) { line(what, df, step, df.ok()); }
};

// One training step on both sides and every figure of it. Aligned (not
// free_run): the GPU model starts from the CPU's parameters and moments and
// steps on the CPU's gradients, so each figure is one step's disagreement.
void verify_step(TrainingRun& cpu_run, TrainingRun& gpu_run, const Tolerance& tol, bool free_run, int step, int steps,
                 Report& rep) {
  Model<float>& cm = cpu_run.model();
  Model<float>& gm = gpu_run.model();
  const ParamLayout& layout = cm.layout();
  const Batch batch = cpu_run.batch(step);
  if (!free_run && step > 1) {
    gm.set_params(cm.get_params());
    gm.set_moment(0, cm.get_moment(0));
    gm.set_moment(1, cm.get_moment(1));
  }
  StepOptions so = train_step_options(cpu_run.settings(), step);
  so.backward = false;

  // Logits first: the backward pass overwrites them with their gradient.
  cm.forward(batch, so);
  gm.forward(batch, so);
  const std::vector<float> lc = cm.get_logits(), lg = gm.get_logits();

  so.backward = true;
  const AdamWArgs a = adamw_args(cpu_run.settings(), step);
  double nll_c = 0, nll_g = 0, nc = 0, ng = 0;
  if (free_run) {
    // The training path itself: forward, backward and the optimizer step in
    // one train_step; its gradients stay in grads() for the checks below.
    cm.train_step(batch, so, a);
    gm.train_step(batch, so, a);
    const Model<float>::StepLog c = cm.take_step_log().at(0), g = gm.take_step_log().at(0);
    nll_c = c.nll;
    nll_g = g.nll;
    nc = c.grad_norm;
    ng = g.grad_norm;
  } else {
    nll_c = cm.forward(batch, so);
    nll_g = gm.forward(batch, so);
  }
  const double loss_c = nll_c / static_cast<double>(batch.num_targets);
  const double loss_g = nll_g / static_cast<double>(batch.num_targets);
  std::cout << "step " << step << "/" << steps << "  T=" << batch.T << " B=" << batch.B << "  loss cpu " << std::fixed
            << std::setprecision(6) << loss_c << " gpu " << loss_g << std::defaultfloat << "\n";
  rep.check("loss", compare(&loss_g, &loss_c, 1, tol), step);
  rep.check("logits", compare(lg, lc, tol), step);

  const std::vector<float> gc = cm.get_grads(), gg = gm.get_grads();
  for (const auto& e : layout.entries()) {
    rep.check("grad " + e.name + " " + shape_of(e), compare(gg.data() + e.offset, gc.data() + e.offset, e.size, tol),
              step);
  }
  if (!free_run) {
    gm.grads().upload(gc.data(), gc.size());
    cm.optimizer_step(a);
    gm.optimizer_step(a);
    nc = cm.last_grad_norm();
    ng = gm.last_grad_norm();
  }
  rep.check("gradient norm", compare(&ng, &nc, 1, tol), step);

  const std::vector<float> pc = cm.get_params(), pg = gm.get_params();
  Diff pw;
  std::string pw_name;
  bool params_ok = true;
  for (const auto& e : layout.entries()) {
    const Diff de = compare(pg.data() + e.offset, pc.data() + e.offset, e.size, tol);
    params_ok = params_ok && de.ok();
    if (pw_name.empty() || de.rel() > pw.rel()) {
      pw = de;
      pw_name = e.name;
    }
  }
  rep.line("params after the step", pw, step, params_ok, "  (worst tensor: " + pw_name + ")");
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
    ("rtol", "relative tolerance, against each tensor's max|cpu|", cxxopts::value<double>()->default_value("1e-3"))
    ("atol", "absolute tolerance", cxxopts::value<double>()->default_value("1e-6"))
    ("tf32", "let cuBLAS use TF32 tensor cores (expect errors near 1e-3: raise --rtol)")
    ("free-run", "do not re-align the GPU model with the CPU's each step (errors compound)")
    ("threads", "CPU threads (0 = all cores)", cxxopts::value<int>()->default_value("0"))
    ("against", "the backend checked against the CPU: cuda, or cpu (a check of verify itself: no differences)",
     cxxopts::value<std::string>()->default_value("cuda"));
  // clang-format on
  ModelConfig shape = m;
  shape.dropout = 0.1;  // on, so the dropout masks are compared too
  add_model_flags(opts, shape, "dropout (on in every step, so the masks are compared too)");
  cxxopts::ParseResult r;
  if (!parse(opts, argc, argv, r)) return 0;

  const int steps = r["steps"].as<int>();
  read_model_flags(r, m);
  const int batch_size = r["batch"].as<int>();
  const uint64_t seed = r["seed"].as<uint64_t>();
  const double lr = r["lr"].as<double>();
  // Whole-model tensors: each measured against its own largest |cpu| (compare.hpp says why).
  const Tolerance tol{r["atol"].as<double>(), r["rtol"].as<double>(), Tolerance::Scale::Tensor};
  const bool tf32 = r.count("tf32") > 0, free_run = r.count("free-run") > 0;
  const int threads = threads_flag(r);
  if (steps < 1) throw Error("--steps must be at least 1");
  if (batch_size < 1) throw Error("--batch must be at least 1");
  if (!(tol.atol >= 0) || !(tol.rtol >= 0)) throw Error("--atol and --rtol must be 0 or more");
  if (!(lr > 0)) throw Error("--lr must be greater than 0");
  const std::string against = r["against"].as<std::string>();
  if (against != "cuda" && against != "cpu") throw Error("--against " + against + ": expected cuda or cpu");

  std::string why;
  if (against == "cuda" && !cuda_available(&why)) {
    std::cerr << "wuxia verify: no usable GPU: " << why << "\n"
              << "verify compares the CUDA backend with the CPU one and needs both; nothing was compared.\n";
    return kExitNoGpu;
  }

  // The names, split, vocabulary, batches and initial weights of a training
  // run, once per backend, at a constant learning rate.
  TrainOptions o;
  o.data.push_back(r.count("data") ? parse_data_spec(r["data"].as<std::string>())
                                   : DataSpec{"jinyong", default_data_path()});
  o.model = m;
  o.settings.batch = batch_size;
  o.settings.seed = seed;
  o.settings.lr = lr;
  o.settings.warmup = 0;
  o.settings.min_lr_ratio = 1.0;
  o.steps = steps;
  o.quiet = true;
  std::ostringstream quiet_log;
  cpu::CpuBackend<float> cpu_be(threads);
  const std::unique_ptr<Backend<float>> gpu_be = against == "cuda" ? make_backend("cuda", threads, tf32).backend
                                                                   : std::make_unique<cpu::CpuBackend<float>>(threads);
  TrainingRun cpu_run(o, cpu_be, quiet_log), gpu_run(o, *gpu_be, quiet_log);
  m = cpu_run.checkpoint().config;
  const ParamLayout& layout = cpu_run.model().layout();

  std::cout << "wuxia verify: CPU (" << cpu::max_threads() << " threads) vs "
            << (against == "cuda" ? gpu_description() : "the CPU again (--against cpu)") << (tf32 ? ", TF32 GEMMs" : "")
            << "\n"
            << "data: " << o.data[0].path << ", " << cpu_run.train_examples().size() << " training names\n"
            << "model: V=" << m.vocab << " E=" << m.embed << " H=" << m.hidden << " L=" << m.layers
            << " dropout=" << m.dropout << " (" << layout.total() << " parameters); batch " << batch_size << ", seed "
            << seed << ", lr " << lr << "\n"
            << "tolerance per tensor: max|gpu - cpu| <= " << tol.atol << " + " << tol.rtol << " * max|cpu|; "
            << (free_run ? "free run (errors compound)" : "GPU re-aligned with the CPU each step") << "\n";

  Report rep;
  for (int step = 1; step <= steps; ++step) verify_step(cpu_run, gpu_run, tol, free_run, step, steps, rep);
  std::cout << (rep.all_ok ? "PASS" : "FAIL") << ": largest relative error " << sci(rep.worst) << " ("
            << rep.worst_what << ")" << (rep.all_ok ? ", all within tolerance" : "; above tolerance, see the marked lines")
            << "\n";
  return rep.all_ok ? 0 : kExitMismatch;
}

}  // namespace wuxia::cli
