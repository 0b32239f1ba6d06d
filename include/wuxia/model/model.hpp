#pragma once
// The model driver: Embedding -> L-layer LSTM -> Linear, forward and backward
// written once over the backend ops (DESIGN "Backends"). Owns the flat
// parameter, gradient and AdamW moment buffers and the activation workspace,
// all in the backend's memory. The workspace grows to the largest T*B seen and
// is reused after that: no allocation inside a step of a known shape.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "wuxia/data/batch.hpp"
#include "wuxia/model/backend.hpp"
#include "wuxia/model/params.hpp"
#include "wuxia/model/precision.hpp"

namespace wuxia {

struct StepOptions {
  bool train = false;     // dropout on (when cfg.dropout > 0), and the regularisers below
  bool backward = false;  // accumulate gradients into grads() (zeroed first)
  uint64_t seed = 0;      // dropout key
  uint64_t step = 0;      // dropout key
  // AWD-LSTM's regularisers (Merity et al. 2017), each a drop probability in
  // [0, 1), 0 = off, applied only when `train` (DESIGN "Training runs", its Levers), with masks
  // keyed like dropout's by (seed, step):
  double weight_drop = 0;     // DropConnect on each layer's weight_hh: one mask per step
  double locked_dropout = 0;  // on each layer's input and the top output: one mask per sequence and unit
  double embed_dropout = 0;   // whole tokens of the embedding: one mask per step over the vocabulary
};

template <class T>
class Model {
 public:
  Model(Backend<T>& backend, const ModelConfig& cfg);

  const ModelConfig& config() const { return cfg_; }
  const ParamLayout& layout() const { return layout_; }
  Backend<T>& backend() { return be_; }

  // Host copies of the flat buffers (any float type converts).
  template <class U>
  void set_params(const std::vector<U>& host);
  std::vector<T> get_params() const;
  std::vector<T> get_grads() const;
  // AdamW moments, for checkpoints.
  std::vector<T> get_moment(int which) const;  // 0 = m, 1 = v
  template <class U>
  void set_moment(int which, const std::vector<U>& host);

  // The weights --l2sp pulls toward (AdamWArgs::l2sp), and the average of
  // the parameters that --ema keeps (AdamWArgs::ema_decay): buffers of the
  // parameters' layout, absent until set. Setting one drops the recorded
  // steps (their ops change).
  template <class U>
  void set_anchor(const std::vector<U>& host);
  template <class U>
  void set_average(const std::vector<U>& host);
  bool has_average() const { return average_.size() != 0; }
  // --base-rows-lr, --new-styles-lr: the tokens ([V], nonzero = marked) whose rows step with
  // AdamWArgs::marked_rows_lr times the learning rate (token_rows_mask says
  // which elements those are). An empty vector unmarks all. Drops the
  // recorded steps (their ops change).
  void set_marked_rows(const std::vector<uint8_t>& tokens);
  std::vector<T> get_average() const;
  // The GEMMs of forward() and train_step (DESIGN "Backends"): FP32, or
  // (kBf16) bfloat16 inputs with FP32 accumulation. Each pass rounds the
  // parameters once into a bfloat16 shadow (so the shadow follows every
  // optimizer step and swap_average), and each activation or gradient a GEMM
  // reads is rounded as it is made; the parameters, gradients, AdamW moments,
  // cell states, softmax and loss stay in T. Step-by-step inference
  // (infer_step) stays in T. Setting it drops the recorded steps.
  void set_precision(Precision p);
  Precision precision() const { return precision_; }
  // Exchanges the parameters and the average (no copy; the bits are kept):
  // between two calls, forward() and inference run on the average. No
  // training step may run between them.
  void swap_average();

  // Runs the batch; returns the summed NLL over valid targets (waits for the
  // device). With opts.backward, grads() holds d(mean NLL)/d(params) afterwards.
  // row_loss, when given, receives the NLL of each (t, b) position [T*B].
  double forward(const Batch& batch, const StepOptions& opts, std::vector<T>* row_loss = nullptr);

  // Global-norm clip + AdamW over the whole parameter buffer, on grads().
  void optimizer_step(const AdamWArgs& args);
  // Global gradient norm before clipping of the last optimizer_step.
  double last_grad_norm() const;

  // --- training without waiting for the device ---
  // One training step: forward and backward on `batch` (opts.backward is
  // implied), then optimizer_step(args); the same ops, hence the same bits, as
  // calling those two. Nothing waits for the device: the step's summed NLL and
  // gradient norm go to a log in device memory that take_step_log() reads. On
  // a backend that records (CUDA), the step is recorded the first time a
  // batch shape (T, B) comes up and replayed after that: one launch a step.
  void train_step(const Batch& batch, const StepOptions& opts, const AdamWArgs& args);
  struct StepLog {
    double nll;        // summed over the batch's targets
    double grad_norm;  // before clipping
  };
  // The log of every train_step since the last call, oldest first (waits).
  std::vector<StepLog> take_step_log();
  // Sizes the workspace for batches of up to `steps` x `batch` names now. A
  // workspace that grows later moves, and the recorded steps, which hold its
  // addresses, have to be recorded again.
  void reserve(int steps, int batch);
  // How many batch shapes have a recorded step (0 on the CPU).
  std::size_t recorded_steps() const { return recordings_.size(); }
  // Why recording failed, if it did: train_step then issues every step op by
  // op (same results, more launches) rather than stop training. Empty if not.
  const std::string& recording_error() const { return recording_error_; }

  // Logits of the last forward, [T*B, V] host copy (tests). After a forward
  // with backward they hold the d-logits instead: the buffer is reused.
  std::vector<T> get_logits() const;

  // --- step-by-step inference (sampling, scoring) ---
  // Starts `b` sequences with zero state.
  void begin_inference(int b);
  // Feeds one token per sequence [b]; returns logits [b, V] on the host.
  const std::vector<T>& infer_step(const std::vector<int32_t>& tokens);
  // Rearranges the sequences: row j continues from the state of row keep[j]
  // (a row may be kept more than once: the copies go on from the same
  // state; rows not kept are dropped), then `fresh` rows with zero state
  // follow. A sampler retires finished names this way, and starts new ones
  // from a shared first step, without computing rows nobody reads. At most
  // the begin_inference count of rows in all.
  void infer_select(const std::vector<int32_t>& keep, int fresh);

  Buffer<T>& params() { return params_; }
  Buffer<T>& grads() { return grads_; }

 private:
  // Where each tensor sits in the flat buffers, looked up by name once: a
  // lookup is a string search, too slow for every op of every step.
  struct Offsets {
    std::size_t embedding = 0, fc_weight = 0, fc_bias = 0;
    std::vector<std::size_t> w_ih, w_hh, b_ih, b_hh;  // per layer
  };
  const T* p(std::size_t offset) const { return params_.data() + offset; }
  T* g(std::size_t offset) { return grads_.data() + offset; }
  // Grows the workspace to hold T x B rows (moving it drops the recordings).
  void ensure_workspace(int T_, int B);
  // Uploads the batch and fills this step's scalars on the host (uploading is
  // what a recording may not do; the caller then calls upload_scalars()).
  void stage_batch(const Batch& batch, const StepOptions& opts);
  // Enqueues forward (and backward) of the staged T_ x B_ batch; the ops only,
  // so that it can be recorded. Leaves the summed NLL in loss_.
  void issue_forward_backward(const StepOptions& opts, bool row_loss);
  void issue_optimizer();
  void drain_step_log();

  Backend<T>& be_;
  ModelConfig cfg_;
  ParamLayout layout_;
  Offsets off_;
  Buffer<T> params_, grads_, m_, v_;
  Buffer<T> anchor_, average_;   // empty unless set_anchor / set_average
  Buffer<uint8_t> marked_mask_;  // [total] token_rows_mask; empty unless set_marked_rows
  Buffer<T> norm_;               // [1]
  Buffer<T> loss_;               // [1]
  // This step's scalars, in backend memory (backend.hpp says why), filled on
  // the host and uploaded together: one upload a step, not three.
  struct StepScalars {
    AdamWScalars<T> adamw;
    T xent_scale;           // 1 / the batch's targets
    uint64_t dropout_step;  // the dropout key's step
    T anchor_ab[2];         // axpby weights of the pull toward anchor_
    T average_ab[2];        // and of the average's update
  };
  void set_extra_scalars(const AdamWArgs& args);
  StepScalars scalars_host_{};
  Buffer<StepScalars> scalars_;  // [1]
  void upload_scalars() { scalars_.upload(&scalars_host_, 1); }
  // The step log: kLogSteps (nll, grad norm) pairs on the device, drained to
  // the host when full or asked for.
  static constexpr int kLogSteps = 1024;
  Buffer<T> step_log_;  // [kLogSteps, 2]
  int step_log_n_ = 0;
  std::vector<StepLog> step_log_host_;
  // Recorded training steps by (T, B, dropout on, dropout seed, and the
  // regularisers' probabilities). Bounded: a shape beyond kMaxRecordings is
  // issued op by op instead.
  static constexpr std::size_t kMaxRecordings = 64;
  std::map<std::tuple<int, int, bool, uint64_t, double, double, double>, std::unique_ptr<Recording>> recordings_;
  bool backend_records_ = true;  // until the backend says it does not, or fails to
  std::string recording_error_;

  // Workspace for rows N = T*B (capacity cap_rows_, batch capacity cap_b_).
  std::size_t cap_rows_ = 0, cap_b_ = 0;
  int T_ = 0, B_ = 0;
  // The staged batch's tokens [N] then its targets [N] (N = T_ * B_), one
  // upload; a recording's shape fixes N, so both addresses are fixed too.
  Buffer<int32_t> ids_;
  std::vector<int32_t> ids_host_;
  const int32_t* tokens() const { return ids_.data(); }
  const int32_t* targets() const { return ids_.data() + static_cast<std::size_t>(T_) * B_; }
  Buffer<T> emb_;                  // [N, E] layer-0 input
  std::vector<Buffer<T>> x_drop_;  // per layer l > 0: dropped input [N, H]
  std::vector<Buffer<T>> gates_;   // per layer [N, 4H] activations
  std::vector<Buffer<T>> cells_;   // per layer [N, H]
  std::vector<Buffer<T>> hs_;      // per layer [N, H]
  Buffer<T> y_drop_;               // [N, H] dropped top output
  // x_drop_ and y_drop_ are sized even without cfg.dropout once a step asks
  // for locked dropout (allocate_regulariser_buffers).
  bool locked_buffers_ = false;
  std::vector<Buffer<T>> w_hh_drop_;  // per layer [4H, H]: weight_hh with this step's --weight-drop mask
  // Makes the buffers that `opts`' regularisers need (before any recording).
  void allocate_regulariser_buffers(const StepOptions& opts);
  // --precision bf16 (set_precision): the bfloat16 GEMM operands, empty in FP32.
  Precision precision_ = Precision::kFp32;
  Buffer<Bf16> params_bf16_;                 // [total] the parameters, rounded at the start of each pass
  std::vector<Buffer<Bf16>> in_bf16_;        // per layer [N, E or H]: its input as fed to its GEMMs
  std::vector<Buffer<Bf16>> hs_bf16_;        // per layer [N, H]: its outputs (the recurrence rounds them)
  std::vector<Buffer<Bf16>> w_hh_drop_bf16_; // per layer [4H, H]: w_hh_drop_ rounded (--weight-drop)
  Buffer<Bf16> y_bf16_;                      // [N, H] the output layer's input, when masked
  Buffer<Bf16> d_bf16_;                      // [N, max(V, 4H)] the d-logits, then each layer's d-gates
  std::vector<const Bf16*> layer_in_bf16_;   // per layer: its input in bfloat16 in the last forward
  // Sizes the buffers above for the workspace and regularisers now in place
  // (before any recording; growing one drops the recordings).
  void ensure_bf16_buffers();
  // The parameter at `offset` in the bfloat16 shadow.
  const Bf16* pb(std::size_t offset) const { return params_bf16_.data() + offset; }
  Buffer<T> logits_;                // [N, V], then d-logits
  Buffer<T> row_loss_;              // [N]
  Buffer<T> dgates_;                // [N, 4H]
  Buffer<T> dh_a_, dh_b_;           // [N, max(E, H)] gradients wrt layer outputs/inputs
  Buffer<T> dc_, dh_rec_;           // [B, H]
  std::vector<const T*> layer_in_;  // per layer: its input [N, E or H] in the last forward

  // Inference state.
  int inf_b_ = 0, inf_cap_ = 0;           // sequences now, and room for
  std::vector<Buffer<T>> inf_h_, inf_c_;  // per layer [b, H]
  Buffer<T> inf_spare_;                   // [cap, H]: infer_select gathers into it, then swaps
  Buffer<T> inf_gates_, inf_x_, inf_logits_;
  Buffer<int32_t> inf_tokens_, inf_rows_;
  std::vector<T> inf_host_logits_;
};

}  // namespace wuxia
