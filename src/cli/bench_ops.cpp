// Single-op benchmarks (see bench_ops.hpp). Each op sequence is recorded once
// where the backend records (CUDA Graphs) and replayed `iters` times between
// two synchronize()s, so launch overhead weighs on every variant alike and
// the figure is the device's time per call.
#include "bench_ops.hpp"

#include <chrono>
#include <functional>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include "wuxia/model/lstm_layer.hpp"
#include "wuxia/model/rng.hpp"
#include "wuxia/platform/error.hpp"

namespace wuxia::cli {

namespace {

constexpr int kUntimed = 3;

// Seconds per call of `issue`, replayed from a recording when the backend
// records, issued directly otherwise.
double seconds_per_call(Backend<float>& be, const std::function<void()>& issue, int iters) {
  const std::unique_ptr<Recording> rec = be.record(issue);
  auto once = [&] { rec ? be.replay(*rec) : issue(); };
  for (int i = 0; i < kUntimed; ++i) once();
  be.synchronize();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) once();
  be.synchronize();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / iters;
}

std::vector<float> uniform(std::size_t n, float lo, float hi, uint64_t seed, uint64_t step) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = lo + (hi - lo) * rng::uniform(seed, rng::kInit, step, i);
  return v;
}

const char* device_name(const BackendChoice& be) { return be.kind == DeviceKind::Cuda ? "cuda" : "cpu"; }

double mib(std::size_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

}  // namespace

int bench_xent(const BackendChoice& choice, const OpBench& o) {
  if (o.rows < 1 || o.vocab < 2 || o.iters < 1) throw Error("--rows >= 1, --vocab >= 2 and --iters >= 1, please");
  Backend<float>& be = *choice.backend;
  const std::size_t n = static_cast<std::size_t>(o.rows) * o.vocab;
  // Logits of a trained model's spread; one target in 16 is padding, as in
  // a length-bucketed batch.
  const std::vector<float> logits = uniform(n, -4.0f, 4.0f, o.seed, 1);
  std::vector<int32_t> targets(o.rows);
  std::size_t valid = 0;
  for (int r = 0; r < o.rows; ++r) {
    const float u = rng::uniform(o.seed, rng::kInit, 2, static_cast<uint64_t>(r));
    targets[r] = r % 16 == 15 ? -1 : static_cast<int32_t>(u * static_cast<float>(o.vocab - 1));
    valid += targets[r] >= 0;
  }
  const float scale = 1.0f / static_cast<float>(valid);
  const std::size_t before = be.peak_allocated();
  Buffer<float> d_logits = buffer_from(be, logits);
  Buffer<int32_t> d_targets = buffer_from(be, targets);
  Buffer<float> d_scale = buffer_from(be, std::vector<float>{scale});
  Buffer<float> d_loss(be, 1);
  const std::size_t inputs = n * sizeof(float) + targets.size() * sizeof(int32_t) + 2 * sizeof(float);
  // Loss and d-logits, the gradient written over the logits, as a training
  // step runs it. Later calls see earlier calls' gradients as logits: the
  // same work.
  const double s = seconds_per_call(
      be,
      [&] {
        be.softmax_xent(o.rows, o.vocab, d_logits.data(), d_targets.data(), d_scale.data(), d_loss.data(), nullptr,
                        d_logits.data());
      },
      o.iters);
  const bool tracked = choice.kind == DeviceKind::Cuda;
  const double extra = tracked ? mib(be.peak_allocated() - before - inputs) : 0.0;
  // Read the logits once to find max and sum, once more to write the gradient.
  const double bytes = 3.0 * static_cast<double>(n) * sizeof(float);
  if (o.json) {
    nlohmann::json j{{"impl", "wuxia"},
                     {"op", "xent"},
                     {"device", device_name(choice)},
                     {"rows", o.rows},
                     {"vocab", o.vocab},
                     {"iters", o.iters},
                     {"ms", 1e3 * s},
                     {"gbps", bytes / s / 1e9},
                     {"input_mib", mib(inputs)},
                     {"extra_mib", tracked ? nlohmann::json(extra) : nlohmann::json(nullptr)}};
    std::cout << j.dump() << "\n";
    return 0;
  }
  std::cout << std::fixed << std::setprecision(3) << "softmax-xent " << o.rows << " x " << o.vocab << " on "
            << device_name(choice) << ": " << 1e3 * s << " ms per call (loss + d-logits in place), "
            << std::setprecision(1) << bytes / s / 1e9 << " GB/s effective; inputs " << mib(inputs) << " MiB";
  if (tracked) std::cout << ", allocated beyond them " << extra << " MiB";
  std::cout << "\n";
  return 0;
}

int bench_recurrent(const BackendChoice& choice, const OpBench& o) {
  if (o.batch < 1 || o.hidden < 1 || o.steps < 1 || o.iters < 1) {
    throw Error("--batch, --hidden, --steps and --iters must be at least 1");
  }
  Backend<float>& be = *choice.backend;
  const int B = o.batch, H = o.hidden, T = o.steps, G4 = 4 * H;
  const std::size_t BH = static_cast<std::size_t>(B) * H, BG = static_cast<std::size_t>(B) * G4;
  Buffer<float> w = buffer_from(be, uniform(static_cast<std::size_t>(G4) * H, -0.05f, 0.05f, o.seed, 3));
  Buffer<float> hs = buffer_from(be, uniform(T * BH, -1.0f, 1.0f, o.seed, 4));
  Buffer<float> gates = buffer_from(be, uniform(T * BG, -1.0f, 1.0f, o.seed, 5));
  Buffer<float> cells = buffer_from(be, uniform(T * BH, -1.0f, 1.0f, o.seed, 6));
  Buffer<float> dh = buffer_from(be, uniform(T * BH, -1e-3f, 1e-3f, o.seed, 7));
  Buffer<float> dgates = buffer_from(be, uniform(T * BG, -1e-3f, 1e-3f, o.seed, 8));
  Buffer<float> dh_rec(be, BH), dc(be, BH);
  be.fill(BH, 0.0f, dh_rec.data());

  // The model's own recurrence (lstm_layer.hpp) step by step, the same with
  // its GEMMs alone, and fused (one op per direction) where the backend runs
  // it, whatever --recurrence says. Repeated calls see earlier calls' outputs
  // as inputs: the same work.
  const RecurrencePath asked = be.recurrence();
  const Backend<float>::RecurrenceFit fit = be.lstm_recurrence_fit(B, H);
  if (asked == RecurrencePath::kFused && !fit.runs) {
    throw Error("--recurrence fused: batch " + std::to_string(B) + ", hidden " + std::to_string(H) + ": " +
                fit.why_not);
  }
  be.set_recurrence(RecurrencePath::kSteps);
  const double fwd_gemm = seconds_per_call(
      be,
      [&] {
        lstm_layer_forward<float, Recurrence::kGemmsOnly>(be, T, B, H, w.data(), gates.data(), cells.data(), hs.data());
      },
      o.iters);
  const double fwd_step = seconds_per_call(
      be, [&] { lstm_layer_forward(be, T, B, H, w.data(), gates.data(), cells.data(), hs.data()); }, o.iters);
  const double bwd_gemm = seconds_per_call(
      be,
      [&] {
        lstm_layer_backward<float, Recurrence::kGemmsOnly>(be, T, B, H, w.data(), gates.data(), cells.data(), dh.data(),
                                                           dc.data(), dh_rec.data(), dgates.data());
      },
      o.iters);
  const double bwd_step = seconds_per_call(
      be,
      [&] {
        lstm_layer_backward(be, T, B, H, w.data(), gates.data(), cells.data(), dh.data(), dc.data(), dh_rec.data(),
                            dgates.data());
      },
      o.iters);
  double fwd_fused = 0, bwd_fused = 0;
  if (fit.runs) {
    be.set_recurrence(RecurrencePath::kFused);
    fwd_fused = seconds_per_call(
        be, [&] { lstm_layer_forward(be, T, B, H, w.data(), gates.data(), cells.data(), hs.data()); }, o.iters);
    bwd_fused = seconds_per_call(
        be,
        [&] {
          lstm_layer_backward(be, T, B, H, w.data(), gates.data(), cells.data(), dh.data(), dc.data(), dh_rec.data(),
                              dgates.data());
        },
        o.iters);
  }
  be.set_recurrence(asked);
  const char* auto_picks = fit.runs && fit.faster ? "fused" : "steps";
  // Forward: T GEMMs of [B, H] x [H, 4H]; backward: T - 1 of [B, 4H] x [4H, H].
  const double flops = 2.0 * B * H * G4 * T;
  const double bwd_flops = flops * (T - 1) / T;
  auto tflops = [](double f, double s) { return f / s / 1e12; };
  // The step's share of the GEMM library's own rate on these GEMMs (cuBLAS
  // on a GPU): GEMM time alone over the recurrence's time, cells included.
  const double fwd_frac = fwd_gemm / fwd_step;
  const double bwd_frac = bwd_gemm / bwd_step;
  if (o.json) {
    nlohmann::json j{{"impl", "wuxia"},
                     {"op", "recurrent"},
                     {"device", device_name(choice)},
                     {"backend", be.name()},
                     {"batch", B},
                     {"hidden", H},
                     {"steps", T},
                     {"iters", o.iters},
                     {"fwd_gemm_ms", 1e3 * fwd_gemm},
                     {"fwd_step_ms", 1e3 * fwd_step},
                     {"bwd_gemm_ms", 1e3 * bwd_gemm},
                     {"bwd_step_ms", 1e3 * bwd_step},
                     {"fwd_gemm_tflops", tflops(flops, fwd_gemm)},
                     {"fwd_step_gemm_tflops", tflops(flops, fwd_step)},
                     {"bwd_gemm_tflops", tflops(bwd_flops, bwd_gemm)},
                     {"bwd_step_gemm_tflops", tflops(bwd_flops, bwd_step)},
                     {"fwd_fraction_of_gemm_alone", fwd_frac},
                     {"bwd_fraction_of_gemm_alone", bwd_frac},
                     {"fused_runs", fit.runs},
                     {"fused_why_not", fit.why_not},
                     {"auto_picks", auto_picks},
                     {"fwd_fused_ms", fit.runs ? nlohmann::json(1e3 * fwd_fused) : nlohmann::json(nullptr)},
                     {"bwd_fused_ms", fit.runs ? nlohmann::json(1e3 * bwd_fused) : nlohmann::json(nullptr)},
                     {"fwd_fused_speedup", fit.runs ? nlohmann::json(fwd_step / fwd_fused) : nlohmann::json(nullptr)},
                     {"bwd_fused_speedup", fit.runs ? nlohmann::json(bwd_step / bwd_fused) : nlohmann::json(nullptr)}};
    std::cout << j.dump() << "\n";
    return 0;
  }
  std::cout << std::fixed << std::setprecision(3) << "recurrence B=" << B << " H=" << H << " T=" << T << " on "
            << be.name() << "\n"
            << "forward:  GEMMs alone " << 1e3 * fwd_gemm << " ms (" << tflops(flops, fwd_gemm)
            << " TFLOP/s); with the cells " << 1e3 * fwd_step << " ms: " << std::setprecision(0) << 100 * fwd_frac
            << "% of the GEMMs' rate alone\n"
            << std::setprecision(3) << "backward: GEMMs alone " << 1e3 * bwd_gemm << " ms; with the cells "
            << 1e3 * bwd_step << " ms: " << std::setprecision(0) << 100 * bwd_frac << "% of the GEMMs' rate alone\n";
  if (fit.runs) {
    std::cout << std::setprecision(3) << "fused:    forward " << 1e3 * fwd_fused << " ms (" << std::setprecision(2)
              << fwd_step / fwd_fused << "x the step loop), backward " << std::setprecision(3) << 1e3 * bwd_fused
              << " ms (" << std::setprecision(2) << bwd_step / bwd_fused << "x); --recurrence auto runs " << auto_picks
              << "\n";
  } else {
    std::cout << "fused:    does not run here: " << fit.why_not << "\n";
  }
  return 0;
}

int bench_peak(const BackendChoice& choice, const OpBench& o) {
  if (o.size < 1 || o.iters < 1) throw Error("--size and --iters must be at least 1");
  Backend<float>& be = *choice.backend;
  const int n = o.size;
  const std::size_t nn = static_cast<std::size_t>(n) * n;
  Buffer<float> a = buffer_from(be, uniform(nn, -1.0f, 1.0f, o.seed, 8));
  Buffer<float> b = buffer_from(be, uniform(nn, -1.0f, 1.0f, o.seed, 9));
  Buffer<float> c(be, nn);
  be.fill(nn, 0.0f, c.data());
  // NT, as most of the model's GEMMs (x W^T).
  const double gemm_s = seconds_per_call(
      be, [&] { be.gemm(false, true, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n); }, o.iters);
  const double tflops = 2.0 * n * static_cast<double>(n) * n / gemm_s / 1e12;
  // Bandwidth: a copy reads and writes every byte once. 3 n^2 floats is far
  // past any cache at the default size.
  const std::size_t cn = 3 * nn;
  Buffer<float> src(be, cn), dst(be, cn);
  be.fill(cn, 1.0f, src.data());
  const double copy_s = seconds_per_call(
      be, [&] { be.copy(cn, src.data(), dst.data()); }, o.iters);
  const double gbps = 2.0 * static_cast<double>(cn) * sizeof(float) / copy_s / 1e9;
  if (o.json) {
    nlohmann::json j{{"impl", "wuxia"},  {"op", "peak"},     {"device", device_name(choice)}, {"backend", be.name()},
                     {"size", n},        {"iters", o.iters}, {"gemm_ms", 1e3 * gemm_s},       {"gemm_tflops", tflops},
                     {"copy_gbps", gbps}};
    std::cout << j.dump() << "\n";
    return 0;
  }
  std::cout << std::fixed << std::setprecision(2) << "peak on " << be.name() << ": GEMM " << n << "^3 (NT) "
            << 1e3 * gemm_s << " ms, " << tflops << " TFLOP/s; copy " << std::setprecision(0) << gbps << " GB/s\n";
  return 0;
}

}  // namespace wuxia::cli
