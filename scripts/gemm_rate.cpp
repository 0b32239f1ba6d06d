// sgemm GFLOP/s of the BLAS that wuxia links, at the shapes of one training
// step of the benchmark rows (docs/PERF.md): the rate that turns a step's
// FLOPs into its floor. Row-major, transposes as src/model/model.cpp calls them.
//
//   g++ -O2 scripts/gemm_rate.cpp -I/usr/include/x86_64-linux-gnu/openblas-openmp -lopenblas -o /tmp/gemm_rate
//   OMP_NUM_THREADS=1 /tmp/gemm_rate
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
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

}  // namespace

int main() {
  row("small", 256, 64, 64, 128, 855);
  row("medium", 1024, 256, 64, 256, 5492);
  row("sampling step", 256, 256, 64, 256, 855);
}
