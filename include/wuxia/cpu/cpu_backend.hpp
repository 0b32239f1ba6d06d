#pragma once
// The CPU backend: the reference that the GPU is checked against. Each op is
// a plain loop (OpenMP over independent rows; reductions in a fixed order, so
// results do not depend on the thread count), except gemm, which is CBLAS.
// Instantiated for float (training) and double (gradient checks).
#include "wuxia/model/backend.hpp"

namespace wuxia::cpu {

// The ops, as free functions over host pointers; contracts as in Backend<T>.
template <class T>
void gemm(bool trans_a, bool trans_b, int m, int n, int k, T alpha, const T* a, int lda, const T* b, int ldb, T beta,
          T* c, int ldc);
// Backend::gemm_bf16: A and B widened to T (exactly), then gemm's product,
// so the sum runs in T and in gemm's order.
template <class T>
void gemm_bf16(bool trans_a, bool trans_b, int m, int n, int k, T alpha, const Bf16* a, int lda, const Bf16* b,
               int ldb, T beta, T* c, int ldc);
template <class T>
void cast_bf16(std::size_t n, const T* in, Bf16* out);
// out[i] = in[i] as T (exact). The inverse of cast_bf16 on its results.
template <class T>
void widen_bf16(std::size_t n, const Bf16* in, T* out);
template <class T>
void embedding_forward(int n, int e, const int32_t* ids, const T* weight, T* out);
template <class T>
void embedding_backward(int n, int e, int v, const int32_t* ids, const T* dout, T* dweight);
template <class T>
void bias_rows(int rows, int cols, const T* b1, const T* b2, T* out);
template <class T>
void sum_rows(int rows, int cols, const T* in, T* out);
template <class T>
void lstm_cell_forward(int b, int h, T* gates, const T* c_prev, T* c, T* h_out);
template <class T>
void lstm_cell_backward(int b, int h, const T* gates, const T* c_prev, const T* c, const T* dh, const T* dh_rec, T* dc,
                        T* dgates);
template <class T>
void lstm_recurrence_forward(int steps, int b, int h, const T* w_hh, T* gates, T* cells, T* hs);
template <class T>
void lstm_recurrence_backward(int steps, int b, int h, const T* w_hh, const T* gates, const T* cells, const T* dh,
                              T* dc, T* dh_rec, T* dgates);
template <class T>
void softmax_xent(int rows, int v, const T* logits, const int32_t* targets, T scale, T* loss, T* row_loss, T* dlogits);
template <class T>
void dropout(std::size_t n, double p, uint64_t seed, uint32_t purpose, uint64_t step, const T* in, T* out);
template <class T>
void locked_dropout(std::size_t n, std::size_t period, double p, uint64_t seed, uint32_t purpose, uint64_t step,
                    const T* in, T* out);
template <class T>
void embedding_dropout(int n, int e, const int32_t* ids, double p, uint64_t seed, uint32_t purpose, uint64_t step,
                       const T* in, T* out);
template <class T>
void grad_norm(std::size_t n, const T* x, T* out);
template <class T>
void adamw_step(std::size_t n, T* param, const T* grad, T* m, T* v, const T* norm, const AdamWScalars<T>& s,
                const uint8_t* base = nullptr);
template <class T>
void axpby(std::size_t n, const T* x, T* y, const T* ab);
template <class T>
void fill(std::size_t n, T value, T* x);
template <class T>
void copy(std::size_t n, const T* src, T* dst);

// Sets the thread count of OpenMP and the BLAS (0 = leave the default).
void set_threads(int threads);

// Gradient scale factor of global-norm clipping (torch.nn.utils.clip_grad_norm_).
inline double clip_factor(double norm, double clip) {
  if (clip <= 0) return 1.0;
  const double f = clip / (norm + 1e-6);
  return f < 1.0 ? f : 1.0;
}

template <class T>
class CpuBackend final : public Backend<T> {
 public:
  // `threads`: OpenMP's (and so OpenBLAS's) thread count for what follows;
  // 0 leaves it as it is (all cores, or OMP_NUM_THREADS). Results do not
  // depend on it (the ops split work by shape, not by thread).
  CpuBackend() = default;
  explicit CpuBackend(int threads) { set_threads(threads); }
  std::string name() const override { return "cpu"; }

  void* allocate(std::size_t bytes) override;
  void deallocate(void* p) noexcept override;
  void upload(void* dst, const void* src, std::size_t bytes) override;
  void download(void* dst, const void* src, std::size_t bytes) override;
  void synchronize() override {}

  void gemm(bool ta, bool tb, int m, int n, int k, T alpha, const T* a, int lda, const T* b, int ldb, T beta, T* c,
            int ldc) override {
    cpu::gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
  void gemm_bf16(bool ta, bool tb, int m, int n, int k, T alpha, const Bf16* a, int lda, const Bf16* b, int ldb,
                 T beta, T* c, int ldc) override {
    cpu::gemm_bf16(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
  void cast_bf16(std::size_t n, const T* in, Bf16* out) override { cpu::cast_bf16(n, in, out); }
  void embedding_forward(int n, int e, const int32_t* ids, const T* w, T* out) override {
    cpu::embedding_forward(n, e, ids, w, out);
  }
  void embedding_backward(int n, int e, int v, const int32_t* ids, const T* dout, T* dw) override {
    cpu::embedding_backward(n, e, v, ids, dout, dw);
  }
  void bias_rows(int rows, int cols, const T* b1, const T* b2, T* out) override {
    cpu::bias_rows(rows, cols, b1, b2, out);
  }
  void sum_rows(int rows, int cols, const T* in, T* out) override { cpu::sum_rows(rows, cols, in, out); }
  void lstm_cell_forward(int b, int h, T* gates, const T* c_prev, T* c, T* h_out) override {
    cpu::lstm_cell_forward(b, h, gates, c_prev, c, h_out);
  }
  void lstm_cell_backward(int b, int h, const T* gates, const T* c_prev, const T* c, const T* dh, const T* dh_rec,
                          T* dc, T* dgates) override {
    cpu::lstm_cell_backward(b, h, gates, c_prev, c, dh, dh_rec, dc, dgates);
  }
  // The step loop (src/cpu/lstm_recurrence.cpp): runs every shape, never
  // faster than itself, so --recurrence auto keeps the steps on the CPU.
  void lstm_recurrence_forward(int steps, int b, int h, const T* w_hh, T* gates, T* cells, T* hs) override {
    cpu::lstm_recurrence_forward(steps, b, h, w_hh, gates, cells, hs);
  }
  void lstm_recurrence_backward(int steps, int b, int h, const T* w_hh, const T* gates, const T* cells, const T* dh,
                                T* dc, T* dh_rec, T* dgates) override {
    cpu::lstm_recurrence_backward(steps, b, h, w_hh, gates, cells, dh, dc, dh_rec, dgates);
  }
  typename Backend<T>::RecurrenceFit lstm_recurrence_fit(int, int) const override { return {true, false, ""}; }
  // The per-step values sit in this backend's memory, which is the host's.
  void softmax_xent(int rows, int v, const T* logits, const int32_t* targets, const T* scale, T* loss, T* row_loss,
                    T* dlogits) override {
    cpu::softmax_xent(rows, v, logits, targets, dlogits ? *scale : T(0), loss, row_loss, dlogits);
  }
  void dropout(std::size_t n, double p, uint64_t seed, uint32_t purpose, const uint64_t* step, const T* in,
               T* out) override {
    cpu::dropout(n, p, seed, purpose, *step, in, out);
  }
  void locked_dropout(std::size_t n, std::size_t period, double p, uint64_t seed, uint32_t purpose,
                      const uint64_t* step, const T* in, T* out) override {
    cpu::locked_dropout(n, period, p, seed, purpose, *step, in, out);
  }
  void embedding_dropout(int n, int e, const int32_t* ids, double p, uint64_t seed, uint32_t purpose,
                         const uint64_t* step, const T* in, T* out) override {
    cpu::embedding_dropout(n, e, ids, p, seed, purpose, *step, in, out);
  }
  void grad_norm(std::size_t n, const T* x, T* out) override { cpu::grad_norm(n, x, out); }
  void adamw_step(std::size_t n, T* p, const T* g, T* m, T* v, const T* norm, const AdamWScalars<T>* s,
                  const uint8_t* base) override {
    cpu::adamw_step(n, p, g, m, v, norm, *s, base);
  }
  void axpby(std::size_t n, const T* x, T* y, const T* ab) override { cpu::axpby(n, x, y, ab); }
  void fill(std::size_t n, T value, T* x) override { cpu::fill(n, value, x); }
  void copy(std::size_t n, const T* src, T* dst) override { cpu::copy(n, src, dst); }
};

int max_threads();
// The BLAS library and how it was built (OpenBLAS's config string), for benchmarks.
std::string blas_info();
// How OpenMP's threads wait (libgomp's variables, and who set them:
// src/platform/omp_env.cpp makes them wait passively unless the user chose).
std::string wait_policy();

}  // namespace wuxia::cpu
