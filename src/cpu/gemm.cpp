#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <vector>

#include "wuxia/cpu/cpu_backend.hpp"

namespace wuxia::cpu {

namespace {

template <class T>
void blas_gemm(bool ta, bool tb, int m, int n, int k, T alpha, const T* a, int lda, const T* b, int ldb, T beta, T* c,
               int ldc) {
  const auto opa = ta ? CblasTrans : CblasNoTrans;
  const auto opb = tb ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, opa, opb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  } else {
    cblas_dgemm(CblasRowMajor, opa, opb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
}

// The blocks a product is cut into: at least kMacsPerBlock multiply-adds
// each (20-40 us of single-core GEMM, well above a fork/join and a second
// packing of the shared operand), at most kMaxBlocks, a power of two so that
// 2, 4 or 8 threads share them evenly (more, smaller blocks cost a single
// thread a few per cent in repacking). The per-step recurrent GEMM of a small
// model (B = 64, H = 128: 4.2M) is one block; a medium model's (B = 256,
// H = 256: 67M) and the output layer's are cut.
constexpr double kMacsPerBlock = 1 << 22;
constexpr int kMaxBlocks = 8;

int blocks_for(double macs) {
  int blocks = 1;
  while (blocks * 2 <= kMaxBlocks && macs >= 2.0 * blocks * kMacsPerBlock) blocks *= 2;
  return blocks;
}

}  // namespace

// Threads: OpenBLAS (the OpenMP build) would split any product above ~0.26M
// multiply-adds over all threads, and on a busy machine the per-step fork and
// join of the small recurrent GEMM cost more than the product itself. And
// how it splits depends on the thread count, while with some of its kernels
// (Haswell's) an element's last bit depends on where its tile falls (a row
// of a 128-row call can differ from the same row of a 256-row call), so the
// bits could depend on the thread count. So wuxia cuts a product itself, by
// its shape alone: into
// contiguous blocks of C rows (or columns, whichever is longer), each one
// single-threaded BLAS call, shared out over the threads (or run in turn on
// one). The same calls happen for any thread count, so the same bits come out.
template <class T>
void gemm(bool ta, bool tb, int m, int n, int k, T alpha, const T* a, int lda, const T* b, int ldb, T beta, T* c,
          int ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {  // BLAS would do this too, but rejects lda < 1 on the way
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < n; ++j) c[static_cast<std::size_t>(i) * ldc + j] *= beta;
    }
    return;
  }
  const bool by_rows = m >= n;
  const int len = by_rows ? m : n;
  const int blocks = std::min(blocks_for(static_cast<double>(m) * n * k), (len + 15) / 16);
  const int block = ((len + blocks - 1) / blocks + 15) / 16 * 16;  // whole 16-wide kernel tiles
  auto run_block = [&](int p) {
    const int lo = std::min(len, p * block), hi = std::min(len, lo + block);
    if (lo >= hi) return;
    if (by_rows) {  // rows lo..hi of op(A) and C
      const T* ap = ta ? a + lo : a + static_cast<std::size_t>(lo) * lda;
      blas_gemm(ta, tb, hi - lo, n, k, alpha, ap, lda, b, ldb, beta, c + static_cast<std::size_t>(lo) * ldc, ldc);
    } else {  // columns lo..hi of op(B) and C
      const T* bp = tb ? b + static_cast<std::size_t>(lo) * ldb : b + lo;
      blas_gemm(ta, tb, m, hi - lo, k, alpha, a, lda, bp, ldb, beta, c + lo, ldc);
    }
  };
  const int threads = omp_in_parallel() ? 1 : std::min(blocks, omp_get_max_threads());
  if (threads > 1) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int p = 0; p < blocks; ++p) run_block(p);  // inside the region OpenBLAS runs single-threaded
    return;
  }
  // OpenBLAS uses as many threads as OpenMP would start here: make that one.
  const int before = omp_get_max_threads();
  if (before > 1) omp_set_num_threads(1);
  for (int p = 0; p < blocks; ++p) run_block(p);
  if (before > 1) omp_set_num_threads(before);
}

// The operands widened into buffers of this thread's (kept between calls:
// a training step's GEMMs have the same few shapes every step), then gemm.
// An operand stored [rows, ld] is read up to its last row's last column,
// (rows - 1) * ld + cols elements, so a strided one is not read past its end.
template <class T>
void gemm_bf16(bool ta, bool tb, int m, int n, int k, T alpha, const Bf16* a, int lda, const Bf16* b, int ldb, T beta,
               T* c, int ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    gemm<T>(ta, tb, m, n, 0, alpha, nullptr, lda, nullptr, ldb, beta, c, ldc);
    return;
  }
  auto extent = [](int rows, int cols, int ld) {
    return static_cast<std::size_t>(rows - 1) * static_cast<std::size_t>(ld) + static_cast<std::size_t>(cols);
  };
  thread_local std::vector<T> wa, wb;
  const std::size_t na = ta ? extent(k, m, lda) : extent(m, k, lda);
  const std::size_t nb = tb ? extent(n, k, ldb) : extent(k, n, ldb);
  if (wa.size() < na) wa.resize(na);
  if (wb.size() < nb) wb.resize(nb);
  widen_bf16(na, a, wa.data());
  widen_bf16(nb, b, wb.data());
  gemm<T>(ta, tb, m, n, k, alpha, wa.data(), lda, wb.data(), ldb, beta, c, ldc);
}

template void gemm<float>(bool, bool, int, int, int, float, const float*, int, const float*, int, float, float*, int);
template void gemm<double>(bool, bool, int, int, int, double, const double*, int, const double*, int, double, double*,
                           int);
template void gemm_bf16<float>(bool, bool, int, int, int, float, const Bf16*, int, const Bf16*, int, float, float*,
                               int);
template void gemm_bf16<double>(bool, bool, int, int, int, double, const Bf16*, int, const Bf16*, int, double,
                                double*, int);

}  // namespace wuxia::cpu
