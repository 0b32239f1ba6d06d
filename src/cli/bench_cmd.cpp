// wuxia bench: training throughput on a fixed workload. Runs the steps that
// `wuxia train` runs (same names, split, vocabulary, Batcher, Model, AdamW and
// schedule: the shared pieces of src/train/trainer.cpp), times each step after a
// warm-up, and reports target tokens per second, the step-time distribution
// (src/cli/bench_steps.hpp says how each is taken) and peak memory.
// scripts/bench_peer.py prints the same JSON keys for the same model in
// PyTorch; scripts/bench.sh puts the two side by side.
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "bench_ops.hpp"
#include "bench_steps.hpp"
#include "cli.hpp"
#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/data/batch.hpp"
#include "wuxia/data/names.hpp"
#include "wuxia/model/lstm_layer.hpp"
#include "wuxia/platform/device.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/train/training_run.hpp"

namespace wuxia::cli {

namespace {

// Peak resident set of this process (getrusage; Linux reports KiB).
double peak_rss_mib() {
  rusage u{};
  if (::getrusage(RUSAGE_SELF, &u) != 0) return 0;
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

// Peak device memory in MiB: the CUDA backend's high-water mark of its own
// allocations (cuBLAS's workspace included). The CPU backend's memory is the
// process's and shows in peak_rss_mib().
std::optional<double> peak_device_mib(const BackendChoice& be) {
  if (be.kind != DeviceKind::Cuda) return std::nullopt;
  return static_cast<double>(be.backend->peak_allocated()) / (1024.0 * 1024.0);
}

// Nearest-rank percentile of sorted values, q in [0, 1].
double percentile(const std::vector<double>& sorted, double q) {
  const std::size_t n = sorted.size();
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(n)));
  return sorted[std::min(n - 1, rank > 0 ? rank - 1 : 0)];
}

double median(const std::vector<double>& sorted) {
  const std::size_t n = sorted.size();
  return n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

// Where the figures were taken.
struct BenchContext {
  const BackendChoice& be;
  bool tf32;
  int threads;
  std::string wait_policy, data;
  bool cuda() const { return be.kind == DeviceKind::Cuda; }
};

void print_json(const BenchContext& c, TrainingRun& run, const TimedSteps& t) {
  const Checkpoint& ck = run.checkpoint();
  const std::optional<double> dev_mib = peak_device_mib(c.be);
  const nlohmann::json j{{"impl", "wuxia"},
                         {"device", c.cuda() ? "cuda" : "cpu"},
                         {"tf32", c.tf32 && c.cuda()},
                         {"recurrence", recurrence_path_name(c.be.backend->recurrence())},
                         {"precision", precision_name(ck.settings.precision)},
                         {"gpu", c.cuda() ? gpu_description() : std::string()},
                         {"threads", c.threads},
                         {"runtime", c.cuda() ? std::string() : cpu::blas_info()},
                         {"omp_wait_policy", c.wait_policy},
                         {"data", c.data},
                         {"names", run.train_examples().size()},
                         {"vocab", ck.config.vocab},
                         {"embed", ck.config.embed},
                         {"hidden", ck.config.hidden},
                         {"layers", ck.config.layers},
                         {"batch", ck.settings.batch},
                         {"params", run.model().layout().total()},
                         {"warmup", t.warmup},
                         {"steps", t.steps},
                         {"tokens", t.tokens},
                         {"seconds", t.seconds},
                         {"tokens_per_sec", t.tokens_per_sec()},
                         {"step_ms_median", 1e3 * median(t.step_s)},
                         {"step_ms_p10", 1e3 * percentile(t.step_s, 0.10)},
                         {"step_ms_p90", 1e3 * percentile(t.step_s, 0.90)},
                         {"step_ms_min", 1e3 * t.step_s.front()},
                         {"step_ms_max", 1e3 * t.step_s.back()},
                         // GPU: each step waited for (older binaries timed them on the host alone)
                         {"step_timing", c.cuda() ? "synchronized" : "host"},
                         {"recorded_shapes", run.model().recorded_steps()},
                         {"first_loss", t.first_loss},
                         {"last_loss", t.last_loss},
                         {"peak_rss_mib", peak_rss_mib()},
                         {"peak_device_mib", dev_mib ? nlohmann::json(*dev_mib) : nlohmann::json(nullptr)}};
  std::cout << j.dump() << "\n";
}

void print_text(const BenchContext& c, TrainingRun& run, const TimedSteps& t) {
  const Checkpoint& ck = run.checkpoint();
  const std::optional<double> dev_mib = peak_device_mib(c.be);
  std::cout << std::fixed << std::setprecision(2) << "bench: " << c.data << " (" << run.train_examples().size()
            << " training names), V=" << ck.config.vocab << " E=" << ck.config.embed << " H=" << ck.config.hidden
            << " L=" << ck.config.layers << " B=" << ck.settings.batch << ", " << run.model().layout().total()
            << " parameters\n"
            << "device:    " << (c.cuda() ? "cuda" : "cpu");
  if (!c.cuda()) std::cout << ", " << c.threads << " thread(s), " << cpu::blas_info() << ", " << c.wait_policy;
  if (c.cuda()) std::cout << ", " << gpu_description() << (c.tf32 ? ", TF32 GEMMs" : "");
  if (ck.settings.precision == Precision::kBf16) std::cout << ", BF16 GEMM inputs";
  std::cout << "\n"
            << "steps:     " << t.steps << (c.cuda() ? " (and as many waited for one by one)" : "") << " timed after "
            << t.warmup << " warm-up, " << t.tokens << " target tokens, loss " << t.first_loss << " -> " << t.last_loss
            << "\n"
            << "tokens/s:  " << std::setprecision(0) << t.tokens_per_sec() << "\n"
            << std::setprecision(3) << "step time: median " << 1e3 * median(t.step_s) << " ms (p10 "
            << 1e3 * percentile(t.step_s, 0.10) << ", p90 " << 1e3 * percentile(t.step_s, 0.90) << ", min "
            << 1e3 * t.step_s.front() << ", max " << 1e3 * t.step_s.back() << ")\n"
            << std::setprecision(1) << "memory:    peak RSS " << peak_rss_mib() << " MiB";
  if (dev_mib) std::cout << ", peak device " << *dev_mib << " MiB";
  std::cout << "\n";
}

// --op train: warm-up + timed steps of a training run (train()'s names,
// split, vocabulary, batches, model and schedule), then the figures.
void bench_training(TrainOptions o, BackendChoice& be, bool tf32, int64_t warmup, int64_t steps, bool json) {
  const int threads = be.kind == DeviceKind::Cpu ? cpu::max_threads() : 0;
  const std::string wait_policy = cpu::wait_policy();

  o.steps = warmup + steps;
  std::ostringstream quiet_log;
  TrainingRun run(o, *be.backend, quiet_log);
  const TimedSteps t = time_steps(run, *be.backend, be.kind == DeviceKind::Cuda, warmup, steps);
  const BenchContext c{be, tf32, threads, wait_policy, o.data[0].path};
  if (json) {
    print_json(c, run, t);
  } else {
    print_text(c, run, t);
  }
}

// Throws wuxia::Error naming the flag of a value `wuxia bench` cannot run.
void check_bench_flags(const std::string& op, int64_t steps, int64_t warmup, const TrainSettings& s) {
  auto need = [](bool ok, const std::string& msg) {
    if (!ok) throw Error(msg);
  };
  need(steps >= 1, "--steps must be at least 1");
  need(warmup >= 0, "--warmup must be 0 or more");
  need(s.batch >= 1, "--batch must be at least 1");
  need(op == "train" || op == "xent" || op == "recurrent" || op == "peak",
       "--op " + op + ": expected train, xent, recurrent or peak");
  need(op == "train" || s.precision == Precision::kFp32,
       "--precision bf16 applies to --op train only (--op " + op + " times FP32 ops)");
}
}  // namespace

int cmd_bench(int argc, char** argv) {
  TrainOptions o;
  cxxopts::Options opts("wuxia bench",
                        "Training throughput: time --steps training steps after --warmup untimed ones,\n"
                        "on a GPU then --steps more, each waited for, for the step-time distribution.\n"
                        "A step is forward, backward, gradient clipping and AdamW on one batch\n"
                        "(the batch is built before the clock starts).\n"
                        "--op xent times the fused softmax-cross-entropy alone (--rows x --vocab logits);\n"
                        "--op recurrent the LSTM recurrence against its GEMMs alone (--batch, --hidden,\n"
                        "--steps as T); --op peak the GEMM rate (--size^3) and copy bandwidth.");
  OpBench ob;
  // clang-format off
  opts.add_options()
    ("data", "name file, as PATH or STYLE=PATH (default: the bundled Jin Yong cast)", cxxopts::value<std::string>())
    ("batch", "names per batch", cxxopts::value<int>()->default_value(std::to_string(o.settings.batch)))
    ("steps", "timed steps", cxxopts::value<int64_t>()->default_value("50"))
    ("warmup", "untimed steps first", cxxopts::value<int64_t>()->default_value("5"))
    ("tf32", "GPU GEMMs on TF32 tensor cores")
    ("precision", "--op train: GEMM inputs fp32 or bf16 (as train's --precision)", cxxopts::value<std::string>()->default_value("fp32"))
    ("seed", "random seed (init, split, batches)", cxxopts::value<uint64_t>()->default_value("1"))
    ("json", "print one JSON object instead of text")
    ("op", "train, xent, recurrent or peak", cxxopts::value<std::string>()->default_value("train"))
    ("rows", "--op xent: logit rows", cxxopts::value<int>()->default_value(std::to_string(ob.rows)))
    ("vocab", "--op xent: logit columns", cxxopts::value<int>()->default_value(std::to_string(ob.vocab)))
    ("size", "--op peak: square GEMM size", cxxopts::value<int>()->default_value(std::to_string(ob.size)))
    ("iters", "--op xent/recurrent/peak: timed calls", cxxopts::value<int>()->default_value(std::to_string(ob.iters)));
  // clang-format on
  ModelConfig shape = o.model;
  shape.dropout = 0;  // a benchmark of the plain model unless asked
  add_model_flags(opts, shape, "dropout between layers and before the output layer");
  add_device_flags(opts, "cpu", 0);
  add_recurrence_flag(opts);
  cxxopts::ParseResult r;
  if (!parse(opts, argc, argv, r)) return 0;

  o.data.push_back(r.count("data") ? parse_data_spec(r["data"].as<std::string>())
                                   : DataSpec{"jinyong", default_data_path()});
  read_model_flags(r, o.model);
  o.settings.batch = r["batch"].as<int>();
  o.settings.seed = r["seed"].as<uint64_t>();
  o.settings.precision = parse_precision(r["precision"].as<std::string>(), "--precision");
  const int threads_given = threads_flag(r);
  o.quiet = true;
  const int64_t steps = r["steps"].as<int64_t>();
  const int64_t warmup = r["warmup"].as<int64_t>();
  const bool json = r.count("json") > 0;
  const bool tf32 = r.count("tf32") > 0;
  const std::string op = r["op"].as<std::string>();
  check_bench_flags(op, steps, warmup, o.settings);
  BackendChoice be = make_backend(device_flag(r), threads_given, tf32);
  if (!be.note.empty()) std::cerr << be.note << "\n";
  // --op recurrent times every path itself; the others run the one asked for.
  be.backend->set_recurrence(recurrence_flag(r));
  if (op != "train") {
    ob.rows = r["rows"].as<int>();
    ob.vocab = r["vocab"].as<int>();
    ob.iters = r["iters"].as<int>();
    ob.size = r["size"].as<int>();
    ob.batch = o.settings.batch;
    ob.hidden = o.model.hidden;
    ob.steps = static_cast<int>(steps);
    ob.seed = o.settings.seed;
    ob.json = json;
    if (op == "xent") return bench_xent(be, ob);
    return op == "recurrent" ? bench_recurrent(be, ob) : bench_peak(be, ob);
  }
  bench_training(o, be, tf32, warmup, steps, json);
  return 0;
}

}  // namespace wuxia::cli
