// `wuxia verify`'s comparison (include/wuxia/train/verify.hpp).
#include "wuxia/train/verify.hpp"

#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>
#include <vector>

#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/model/step_compare.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/train/training_run.hpp"

namespace wuxia {
namespace {

std::string sci(double x) {
  if (std::isinf(x)) return "inf/nan";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2e", x);
  return buf;
}

// The figures of a run, one line each, and the worst of them.
struct Report {
  explicit Report(std::ostream& o) : out(o) {}
  std::ostream& out;
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
    out << "  " << std::left << std::setw(36) << what << std::right << " rel " << sci(df.rel()) << "  max|diff| "
        << sci(df.max_abs) << extra << (ok ? "" : "   <-- above tolerance") << "\n";
  }
  void check(const std::string& what, const Diff& df, int step) { line(what, df, step, df.ok()); }
};

// One training step on both sides and every figure of it, printed.
void verify_step(TrainingRun& cpu_run, TrainingRun& gpu_run, const Tolerance& tol, bool free_run, int step, int steps,
                 Report& rep) {
  Model<float>& cm = cpu_run.model();
  Model<float>& gm = gpu_run.model();
  const Batch batch = cpu_run.batch(step);
  if (!free_run && step > 1) {
    gm.set_params(cm.get_params());
    gm.set_moment(0, cm.get_moment(0));
    gm.set_moment(1, cm.get_moment(1));
  }
  StepCompareOptions opts;
  opts.free_run = free_run;
  const StepComparison c = compare_training_step(cm, gm, batch, train_step_options(cpu_run.settings(), step),
                                                 adamw_args(cpu_run.settings(), step), tol, opts);
  rep.out << "step " << step << "/" << steps << "  T=" << batch.T << " B=" << batch.B << "  loss cpu " << std::fixed
          << std::setprecision(6) << c.loss_ref << " gpu " << c.loss_other << std::defaultfloat << "\n";
  // Every figure on a line of its own, but the parameters after the step:
  // one line, for the tensor furthest off.
  Diff pw;
  std::string pw_name;
  bool params_ok = true;
  for (const auto& f : c.figures) {
    if (f.kind != StepFigure::Kind::Param) {
      rep.check(f.what, f.diff, step);
      continue;
    }
    params_ok = params_ok && f.diff.ok();
    if (pw_name.empty() || f.diff.rel() > pw.rel()) {
      pw = f.diff;
      pw_name = f.what;
    }
  }
  rep.line("params after the step", pw, step, params_ok, "  (worst tensor: " + pw_name + ")");
}

}  // namespace

void VerifyOptions::validate() const {
  if (steps < 1) throw Error("--steps must be at least 1");
  if (batch < 1) throw Error("--batch must be at least 1");
  if (!(tol.atol >= 0) || !(tol.rtol >= 0)) throw Error("--atol and --rtol must be 0 or more");
  if (!(lr > 0)) throw Error("--lr must be greater than 0");
}

bool verify_backends(const VerifyOptions& v, Backend<float>& cpu, Backend<float>& other,
                     const std::string& other_description, std::ostream& out) {
  // The names, split, vocabulary, batches and initial weights of a training
  // run, once per backend, at a constant learning rate.
  TrainOptions o;
  o.data.push_back(v.data);
  o.model = v.model;
  o.settings.batch = v.batch;
  o.settings.seed = v.seed;
  o.settings.lr = v.lr;
  o.settings.warmup = 0;
  o.settings.min_lr_ratio = 1.0;
  o.settings.precision = v.precision;
  o.steps = v.steps;
  o.quiet = true;
  std::ostringstream quiet_log;
  TrainingRun cpu_run(o, cpu, quiet_log), gpu_run(o, other, quiet_log);
  const ModelConfig m = cpu_run.checkpoint().config;
  const ParamLayout& layout = cpu_run.model().layout();

  out << "wuxia verify: CPU (" << cpu::max_threads() << " threads) vs " << other_description
      << (v.precision == Precision::kBf16 ? ", BF16 GEMM inputs on both" : "") << "\n"
      << "data: " << o.data[0].path << ", " << cpu_run.train_examples().size() << " training names\n"
      << "model: V=" << m.vocab << " E=" << m.embed << " H=" << m.hidden << " L=" << m.layers
      << " dropout=" << m.dropout << " (" << layout.total() << " parameters); batch " << v.batch << ", seed " << v.seed
      << ", lr " << v.lr << "\n"
      << "tolerance per tensor: max|gpu - cpu| <= " << v.tol.atol << " + " << v.tol.rtol << " * max|cpu|; "
      << (v.free_run ? "free run (errors compound)" : "GPU re-aligned with the CPU each step") << "\n";

  Report rep(out);
  for (int step = 1; step <= v.steps; ++step) verify_step(cpu_run, gpu_run, v.tol, v.free_run, step, v.steps, rep);
  out << (rep.all_ok ? "PASS" : "FAIL") << ": largest relative error " << sci(rep.worst) << " (" << rep.worst_what
      << ")" << (rep.all_ok ? ", all within tolerance" : "; above tolerance, see the marked lines") << "\n";
  return rep.all_ok;
}

}  // namespace wuxia
