// sgemm GFLOP/s of the BLAS that wuxia links, at the shapes of one training
// step of the benchmark rows (docs/PERF.md): the rate that turns a step's
// FLOPs into its floor. Row-major, transposes as src/model/model.cpp calls them.
// Last, one batch step of the sampler (Model::infer_step's five products),
// as src/cpu/gemm.cpp cuts them and alternatives: one call per product, and
// the weights pre-transposed (NN instead of NT, OpenBLAS's sgemm_nn instead
// of sgemm_tn), timed in the thread's CPU time, which other work on a
// shared machine does not inflate.
//
//   g++ -O2 scripts/gemm_rate.cpp -I/usr/include/x86_64-linux-gnu/openblas-openmp -lopenblas -o /tmp/gemm_rate
//   OMP_NUM_THREADS=1 /tmp/gemm_rate
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <vector>

namespace {

struct Shape {
  const char* what;
  bool ta, tb;
  int m, n, k;
};

double rate(const Shape& s) {
  const int lda = s.ta ? s.m : s.k, ldb = s.tb ? s.k : s.n;
  std::vector<float> a(static_cast<std::size_t>(s.m) * s.k, 0.01f), b(static_cast<std::size_t>(s.k) * s.n, 0.02f),
      c(static_cast<std::size_t>(s.m) * s.n, 0.0f);
  const double flops = 2.0 * s.m * s.n * s.k;
  const int reps = std::max(5, static_cast<int>(3e9 / flops));
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    cblas_sgemm(CblasRowMajor, s.ta ? CblasTrans : CblasNoTrans, s.tb ? CblasTrans : CblasNoTrans, s.m, s.n, s.k, 1.0f,
                a.data(), lda, b.data(), ldb, 1.0f, c.data(), s.n);
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return flops / t[t.size() / 2] / 1e9;  // the median run
}

void row(const char* name, int N, int B, int E, int H, int V) {
  const Shape shapes[] = {
      {"input projection  N x 4H x E  (NT)", false, true, N, 4 * H, E},
      {"recurrent         B x 4H x H  (NT)", false, true, B, 4 * H, H},
      {"logits            N x V x H   (NT)", false, true, N, V, H},
      {"d fc.weight       V x H x N   (TN)", true, false, V, H, N},
      {"d hidden          N x H x V   (NN)", false, false, N, H, V},
      {"d W_hh            4H x H x N  (TN)", true, false, 4 * H, H, N},
  };
  std::printf("%s (N=%d rows, B=%d, E=%d, H=%d, V=%d), core %s\n", name, N, B, E, H, V, openblas_get_corename());
  for (const Shape& s : shapes) std::printf("  %-36s %6.1f GFLOP/s\n", s.what, rate(s));
}

double thread_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// src/cpu/gemm.cpp's cut: blocks of at least 4M multiply-adds, at most 8, a
// power of two, whole 16-wide tiles, along the longer side (here the columns).
int gemm_cpp_blocks(double macs, int len) {
  int blocks = 1;
  while (blocks * 2 <= 8 && macs >= 2.0 * blocks * (1 << 22)) blocks *= 2;
  return std::min(blocks, (len + 15) / 16);
}

// One sampler step of b rows: C[b, n] += X[b, k] W^T for the layer-0 input
// (n = 4H, k = E), layer-0 recurrent, layer-1 input and recurrent (k = H) and
// the logits (n = V, k = H), each weight its own buffer, so that they pass
// through the caches as in sampling.
void sampler_step(int b, int E, int H, int V) {
  struct Product {
    int n, k;
    std::vector<float> w, wt;  // [n, k] as stored; [k, n] pre-transposed
  };
  std::vector<Product> ps = {{4 * H, E, {}, {}}, {4 * H, H, {}, {}}, {4 * H, H, {}, {}}, {4 * H, H, {}, {}}, {V, H, {}, {}}};
  std::mt19937 gen(1);
  std::uniform_real_distribution<float> dist(-0.1f, 0.1f);
  double flops = 0;
  for (Product& p : ps) {
    p.w.resize(static_cast<std::size_t>(p.n) * p.k);
    p.wt.resize(p.w.size());
    for (float& x : p.w) x = dist(gen);
    for (int i = 0; i < p.n; ++i) {
      for (int j = 0; j < p.k; ++j) p.wt[static_cast<std::size_t>(j) * p.n + i] = p.w[static_cast<std::size_t>(i) * p.k + j];
    }
    flops += 2.0 * b * p.n * p.k;
  }
  std::vector<float> x(static_cast<std::size_t>(b) * std::max(E, H)), c(static_cast<std::size_t>(b) * std::max(4 * H, V));
  for (float& v : x) v = dist(gen);
  auto step = [&](bool cut, bool nn) {
    for (const Product& p : ps) {
      const int blocks = cut ? gemm_cpp_blocks(static_cast<double>(b) * p.n * p.k, p.n) : 1;
      const int block = ((p.n + blocks - 1) / blocks + 15) / 16 * 16;
      for (int lo = 0; lo < p.n; lo += block) {
        const int w = std::min(block, p.n - lo);
        if (nn) {
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, w, p.k, 1.0f, x.data(), p.k, p.wt.data() + lo, p.n,
                      1.0f, c.data() + lo, p.n);
        } else {
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, w, p.k, 1.0f, x.data(), p.k,
                      p.w.data() + static_cast<std::size_t>(lo) * p.k, p.k, 1.0f, c.data() + lo, p.n);
        }
      }
    }
  };
  std::printf("sampler step (b=%d rows, E=%d, H=%d, L=2, V=%d: %.1f MFLOP), core %s, thread CPU time\n", b, E, H, V,
              flops / 1e6, openblas_get_corename());
  const struct {
    const char* what;
    bool cut, nn;
  } variants[] = {{"as wuxia: column blocks, NT (sgemm_tn)", true, false},
                  {"one call per product, NT", false, false},
                  {"column blocks, weights pre-transposed (NN)", true, true},
                  {"one call per product, NN", false, true}};
  for (const auto& v : variants) {
    std::vector<double> t;
    for (int r = 0; r < 200; ++r) {
      const double t0 = thread_seconds();
      step(v.cut, v.nn);
      t.push_back(thread_seconds() - t0);
    }
    std::sort(t.begin(), t.end());
    const double s = t[t.size() / 2];
    std::printf("  %-44s %6.3f ms  %6.1f GFLOP/s\n", v.what, 1e3 * s, flops / s / 1e9);
  }
}

}  // namespace

int main() {
  row("small", 256, 64, 64, 128, 855);
  row("medium", 1024, 256, 64, 256, 5492);
  row("sampling step", 256, 256, 64, 256, 855);
  sampler_step(256, 64, 256, 855);
}
