#pragma once
// The backend seam (DESIGN "Backends"): a small set of ops that the model
// driver is written on, implemented once for the CPU (the reference, in
// src/cpu/) and once for CUDA (src/cuda/, kernels/). All pointers passed to an
// op live in the backend's memory ("device memory": host memory for the CPU
// backend); matrices are dense and row-major. Ops on one backend run in issue
// order; only download() and synchronize() wait for them.
//
// What changes from one training step to the next (the dropout key's step,
// the loss scale, AdamW's learning rate and bias corrections) reaches the
// ops through pointers into backend memory, not by value: a backend that
// records a step once and replays it (CUDA Graphs, record()/replay() below)
// then replays it with this step's values, which the caller upload()s first.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "wuxia/model/adamw.hpp"
#include "wuxia/model/bf16.hpp"
#include "wuxia/platform/error.hpp"

namespace wuxia {

// Untyped memory of a backend.
class Memory {
 public:
  virtual ~Memory() = default;
  virtual void* allocate(std::size_t bytes) = 0;
  virtual void deallocate(void* p) noexcept = 0;
  // host -> device; `src` may be reused as soon as this returns.
  virtual void upload(void* dst, const void* src, std::size_t bytes) = 0;
  // device -> host; waits for all issued work first.
  virtual void download(void* dst, const void* src, std::size_t bytes) = 0;
  virtual void synchronize() = 0;
  // High-water mark of the bytes allocate() has handed out and not yet taken
  // back, where the backend keeps one (0 where it does not: the CPU's memory
  // is the process's and shows in its resident set).
  virtual std::size_t peak_allocated() const { return 0; }
};

// An owning array of `n` elements of U in a backend's memory.
template <class U>
class Buffer {
 public:
  Buffer() = default;
  Buffer(Memory& mem, std::size_t n) : mem_(&mem), n_(n) {
    if (n) p_ = static_cast<U*>(mem.allocate(n * sizeof(U)));
  }
  ~Buffer() { reset(); }
  Buffer(Buffer&& o) noexcept { *this = std::move(o); }
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      reset();
      std::swap(mem_, o.mem_);
      std::swap(p_, o.p_);
      std::swap(n_, o.n_);
    }
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  U* data() { return p_; }
  const U* data() const { return p_; }
  std::size_t size() const { return n_; }
  void upload(const U* host, std::size_t n, std::size_t offset = 0) { mem_->upload(p_ + offset, host, n * sizeof(U)); }
  void download(U* host, std::size_t n, std::size_t offset = 0) const {
    mem_->download(host, p_ + offset, n * sizeof(U));
  }

 private:
  void reset() noexcept {
    if (p_) mem_->deallocate(p_);
    p_ = nullptr;
    n_ = 0;
  }
  Memory* mem_ = nullptr;
  U* p_ = nullptr;
  std::size_t n_ = 0;
};

// A Buffer in `mem` holding a copy of `host`.
template <class U>
Buffer<U> buffer_from(Memory& mem, const std::vector<U>& host) {
  Buffer<U> b(mem, host.size());
  b.upload(host.data(), host.size());
  return b;
}

// How a layer's recurrence runs (--recurrence auto|steps|fused; see
// Backend::set_recurrence).
enum class RecurrencePath { kAuto, kSteps, kFused };

// A sequence of ops recorded by Backend::record, replayable (a CUDA Graph).
class Recording {
 public:
  virtual ~Recording() = default;
};

template <class T>
class Backend : public Memory {
 public:
  virtual std::string name() const = 0;

  // C = alpha * op(A) * op(B) + beta * C, row-major. op(A) is [m, k], op(B) is
  // [k, n], C is [m, n]. A is stored [m, k] (lda >= k) or, with trans_a,
  // [k, m] (lda >= m); likewise B. C must not alias A or B.
  virtual void gemm(bool trans_a, bool trans_b, int m, int n, int k, T alpha, const T* a, int lda, const T* b, int ldb,
                    T beta, T* c, int ldc) = 0;

  // gemm with bfloat16 inputs (--precision bf16): the products and their sum
  // in FP32 (T on the CPU), C in T. Every product of two bfloat16 values is
  // exact in FP32, so the result is gemm's on the inputs rounded to bfloat16,
  // up to the order of the sum. Shapes, layouts and C as in gemm; A and B
  // are bfloat16 arrays (cast_bf16), read only.
  virtual void gemm_bf16(bool trans_a, bool trans_b, int m, int n, int k, T alpha, const Bf16* a, int lda,
                         const Bf16* b, int ldb, T beta, T* c, int ldc) = 0;
  // out[i] = in[i] rounded to bfloat16 (bf16_round_bits: to nearest, ties to
  // even; NaN stays NaN). A T other than float is rounded to float first.
  //   in: [n].   out: [n] out.
  virtual void cast_bf16(std::size_t n, const T* in, Bf16* out) = 0;

  // out[r, :] = weight[ids[r], :].
  //   ids: [n] int32, each in [0, v).   weight: [v, e].
  //   out: [n, e] out; must not alias weight.
  virtual void embedding_forward(int n, int e, const int32_t* ids, const T* weight, T* out) = 0;
  // dweight[ids[r], :] += dout[r, :] for every r, each element summed in row
  // order (no order-dependent float atomics), so the result does not depend
  // on scheduling.
  //   ids: [n] int32, each in [0, v).   dout: [n, e].
  //   dweight: [v, e] in/out, accumulated into; must not alias dout.
  virtual void embedding_backward(int n, int e, int v, const int32_t* ids, const T* dout, T* dweight) = 0;

  // out[r, c] = b1[c] + b2[c], or b1[c] alone when b2 is null.
  //   b1, b2: [cols].   out: [rows, cols] out; must not alias b1 or b2.
  virtual void bias_rows(int rows, int cols, const T* b1, const T* b2, T* out) = 0;
  // out[c] = sum_r in[r, c], summed in a fixed order (the same bits every run).
  //   in: [rows, cols].   out: [cols] out (overwritten, not added to); must not alias in.
  virtual void sum_rows(int rows, int cols, const T* in, T* out) = 0;

  // One LSTM step for b rows of hidden size h; gate blocks in PyTorch's order
  // i, f, g, o along each row of 4h.
  //   gates:  [b, 4h] in: pre-activations; out: i, f, g, o after sigmoid/tanh
  //           (what backward needs).
  //   c_prev: [b, h] previous cell state, or null for zeros. May alias c
  //           (inference updates its state in place).
  //   c, h_out: [b, h] out: new cell and hidden state. h_out must not alias
  //           gates, c_prev or c.
  virtual void lstm_cell_forward(int b, int h, T* gates, const T* c_prev, T* c, T* h_out) = 0;
  // Backward of lstm_cell_forward.
  //   gates:  [b, 4h] in: the activations forward left there.
  //   c_prev: [b, h] in, or null (zeros).   c: [b, h] in: the step's new cell state.
  //   dh, dh_rec: [b, h] in: gradients reaching h_out from above and from step
  //           t+1; either may be null (zero). Summed.
  //   dc:     [b, h] in: gradient reaching c from step t+1; out (in place):
  //           gradient to c_prev.
  //   dgates: [b, 4h] out: gradient wrt the gate pre-activations. Must not
  //           alias any other argument.
  virtual void lstm_cell_backward(int b, int h, const T* gates, const T* c_prev, const T* c, const T* dh,
                                  const T* dh_rec, T* dc, T* dgates) = 0;

  // The whole recurrence of one LSTM layer in one op (--recurrence fused):
  // what lstm_layer_forward/backward (include/wuxia/model/lstm_layer.hpp)
  // do with a GEMM and a cell op per step, the same contracts and results up
  // to rounding. A backend that keeps the recurrent weights on chip across
  // the steps (the CUDA one, kernels/lstm_recurrence.cu) runs it in one
  // launch per direction; the CPU's (src/cpu/lstm_recurrence.cpp) is that
  // step loop, the reference the GPU is compared with.
  //   w_hh:  [4h, h] in, the recurrent weights (may be weight drop's copy).
  //   gates: [steps*b, 4h] in: each step's input projection plus both biases;
  //          out: the gate activations.
  //   cells, hs: [steps*b, h] out: the cell states and the outputs.
  // No pointer may alias another.
  virtual void lstm_recurrence_forward(int steps, int b, int h, const T* w_hh, T* gates, T* cells, T* hs) {
    (void)steps, (void)b, (void)h, (void)w_hh, (void)gates, (void)cells, (void)hs;
    throw Error(name() + " backend: no fused LSTM recurrence");
  }
  // Backward of lstm_recurrence_forward: the gate gradients of every step.
  //   gates, cells: [steps*b, 4h], [steps*b, h] in, from forward.
  //   dh:     [steps*b, h] in: gradient wrt hs from above.
  //   dc, dh_rec: [b, h] out: left as the step loop leaves them (the
  //           gradient to the initial cell state; the recurrent gradient
  //           step 0 received, untouched when steps == 1).
  //   dgates: [steps*b, 4h] out.   No pointer may alias another.
  virtual void lstm_recurrence_backward(int steps, int b, int h, const T* w_hh, const T* gates, const T* cells,
                                        const T* dh, T* dc, T* dh_rec, T* dgates) {
    (void)steps, (void)b, (void)h, (void)w_hh, (void)gates, (void)cells, (void)dh, (void)dc, (void)dh_rec, (void)dgates;
    throw Error(name() + " backend: no fused LSTM recurrence");
  }
  // Whether lstm_recurrence_forward and _backward run b rows of hidden size
  // h here (`runs`; `why_not` says why not), and whether they are expected to
  // beat the step loop (`faster`: what --recurrence auto picks).
  struct RecurrenceFit {
    bool runs = false;
    bool faster = false;
    std::string why_not;
  };
  virtual RecurrenceFit lstm_recurrence_fit(int b, int h) const {
    (void)b, (void)h;
    return {false, false, name() + " backend has no fused LSTM recurrence"};
  }
  // How the model runs each layer's recurrence on this backend
  // (--recurrence): kSteps a GEMM and a cell op per step, kFused the op
  // above, kAuto the op where lstm_recurrence_fit says it is faster. Set it
  // before the model issues (or records) its first step. kSteps by default:
  // the fused kernels have run only in the host emulation, never on a GPU.
  void set_recurrence(RecurrencePath p) { recurrence_ = p; }
  RecurrencePath recurrence() const { return recurrence_; }

  // Masked softmax cross-entropy over rows of logits [rows, v] (in); targets
  // [rows] int32, each in [0, v) or -1 = padding (no loss, zero gradient).
  // A NaN anywhere in a valid row makes that row's loss, its d-logits and the
  // summed loss NaN (a padding row stays 0).
  //   scale:    [1] the gradient's factor (1 / valid targets for a mean);
  //             read only when dlogits is given.
  //   loss:     [1] out: sum of -log p(target) over valid rows, in a fixed order.
  //   row_loss: [rows] out or null: per-row NLL (0 on padding).
  //   dlogits:  [rows, v] out or null: (softmax - onehot) * scale; may alias logits.
  virtual void softmax_xent(int rows, int v, const T* logits, const int32_t* targets, const T* scale, T* loss,
                            T* row_loss, T* dlogits) = 0;

  // Inverted dropout: out[i] = keep(i) ? in[i] / (1 - p) : 0 where keep(i) is
  // rng::uniform(seed, purpose, *step, i) >= p. The same call on a gradient
  // is its backward. p in [0, 1).
  //   step: [1] in.   in: [n].   out: [n] out; may alias in (backward runs in place).
  virtual void dropout(std::size_t n, double p, uint64_t seed, uint32_t purpose, const uint64_t* step, const T* in,
                       T* out) = 0;

  // Locked (variational) dropout, Gal & Ghahramani's and AWD-LSTM's: one
  // mask per row of a step, shared by every step. out[i] = keep(i % period) ?
  // in[i] / (1 - p) : 0 with keep(j) = rng::uniform(seed, purpose, *step, j)
  // >= p, so on time-major [T, B, W] activations with period = B * W each
  // sequence keeps the same units at every step. The same call on a gradient
  // is its backward. p in [0, 1); period >= 1.
  //   step: [1] in.   in: [n].   out: [n] out; may alias in.
  virtual void locked_dropout(std::size_t n, std::size_t period, double p, uint64_t seed, uint32_t purpose,
                              const uint64_t* step, const T* in, T* out) = 0;
  // Embedding dropout (AWD-LSTM's embedded_dropout): whole tokens dropped, a
  // mask over the vocabulary's rows rather than the elements, applied to
  // rows already gathered: out[r, :] = keep(ids[r]) ? in[r, :] / (1 - p) : 0
  // with keep(id) = rng::uniform(seed, purpose, *step, id) >= p, so every
  // occurrence of a token in the batch is dropped together. The same call on
  // the gathered rows' gradient is its backward. p in [0, 1).
  //   ids: [n] int32 (the rows' token ids).   step: [1] in.
  //   in: [n, e].   out: [n, e] out; may alias in.
  virtual void embedding_dropout(int n, int e, const int32_t* ids, double p, uint64_t seed, uint32_t purpose,
                                 const uint64_t* step, const T* in, T* out) = 0;

  // out[0] = sqrt(sum x[i]^2), reduced in a fixed order (the same bits every
  // run). x: [n]; out: [1] out.
  virtual void grad_norm(std::size_t n, const T* x, T* out) = 0;
  // One AdamW step over flat buffers that share a layout, with torch's
  // global-norm clipping: the gradient is scaled by min(1, clip / (norm + 1e-6))
  // when s->clip > 0 (clip_grad_norm_).
  //   param, m, v: [n] in/out (parameters, first and second moments).
  //   grad: [n] in.   None of the four may alias another.
  //   norm: [1] in: the global gradient norm, from grad_norm.
  //   s:    [1] in: this step's scalars.
  //   base: [n] in, or null (none): element i steps with s->decay_base and
  //         s->step_size_base where base[i] != 0 (--base-rows-lr: the rows a
  //         fine-tune's base learnt), with s->decay and s->step_size elsewhere.
  virtual void adamw_step(std::size_t n, T* param, const T* grad, T* m, T* v, const T* norm, const AdamWScalars<T>* s,
                          const uint8_t* base) = 0;

  // y[i] = ab[0] * x[i] + ab[1] * y[i]: the exponential moving average of
  // the parameters (--ema) and the pull toward the base's weights (--l2sp),
  // whose weights change every step (hence read from backend memory).
  //   x: [n] in.   y: [n] in/out; must not overlap x.
  //   ab: [2] in: the two weights.
  virtual void axpby(std::size_t n, const T* x, T* y, const T* ab) = 0;

  // x[i] = value.   x: [n] out.
  virtual void fill(std::size_t n, T value, T* x) = 0;
  // dst[i] = src[i].   src: [n] in.   dst: [n] out; must not overlap src.
  virtual void copy(std::size_t n, const T* src, T* dst) = 0;

  // Records the ops that `issue` enqueues, without running them, as one
  // Recording that replay() runs again: on the GPU a whole training step then
  // costs one launch instead of hundreds. While recording, `issue` may only
  // enqueue ops: no allocate/deallocate, upload, download or synchronize. A
  // replay reads and writes the same addresses as the recording did, with
  // whatever values they hold by then. Returns null, having run nothing, on a
  // backend that does not record (the CPU's): the caller then issues the ops
  // directly, every time.
  virtual std::unique_ptr<Recording> record(const std::function<void()>& issue) {
    (void)issue;
    return nullptr;
  }
  // Enqueues a Recording this backend made.
  virtual void replay(const Recording& r) { (void)r; }

 private:
  RecurrencePath recurrence_ = RecurrencePath::kSteps;
};

}  // namespace wuxia
