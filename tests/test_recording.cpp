// Model::train_step's record-once, replay-later logic, on the CPU: a backend
// that records ops the way a CUDA Graph does (the pointers and the values
// passed, not what the pointers hold) and replays them. A per-step value
// passed by value would be frozen in the recording and show here as a
// difference from the same steps issued directly; a replay into a workspace
// that has moved reads freed memory (AddressSanitizer's CI run catches it).
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "test_util.hpp"
#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/model/lstm_layer.hpp"
#include "wuxia/model/model.hpp"
#include "wuxia/model/params.hpp"
#include "wuxia/platform/error.hpp"

using namespace wuxia;

namespace {

class Tape final : public Recording {
 public:
  std::vector<std::function<void()>> ops;
};

// The CPU backend's ops, recorded instead of run between record()'s begin and
// end; memory traffic while recording is an error, as in CUDA stream capture.
class TapeBackend final : public Backend<float> {
 public:
  std::string name() const override { return "cpu (recording)"; }
  void* allocate(std::size_t bytes) override {
    guard("allocate");
    return cpu_.allocate(bytes);
  }
  void deallocate(void* p) noexcept override { cpu_.deallocate(p); }
  void upload(void* dst, const void* src, std::size_t bytes) override {
    guard("upload");
    cpu_.upload(dst, src, bytes);
  }
  void download(void* dst, const void* src, std::size_t bytes) override {
    guard("download");
    cpu_.download(dst, src, bytes);
  }
  void synchronize() override { guard("synchronize"); }

  void gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb,
            float beta, float* c, int ldc) override {
    op([=] { cpu_.gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); });
  }
  void gemm_bf16(bool ta, bool tb, int m, int n, int k, float alpha, const Bf16* a, int lda, const Bf16* b, int ldb,
                 float beta, float* c, int ldc) override {
    op([=] { cpu_.gemm_bf16(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); });
  }
  void cast_bf16(std::size_t n, const float* in, Bf16* out) override {
    op([=] { cpu_.cast_bf16(n, in, out); });
  }
  void embedding_forward(int n, int e, const int32_t* ids, const float* w, float* out) override {
    op([=] { cpu_.embedding_forward(n, e, ids, w, out); });
  }
  void embedding_backward(int n, int e, int v, const int32_t* ids, const float* dout, float* dw) override {
    op([=] { cpu_.embedding_backward(n, e, v, ids, dout, dw); });
  }
  void bias_rows(int rows, int cols, const float* b1, const float* b2, float* out) override {
    op([=] { cpu_.bias_rows(rows, cols, b1, b2, out); });
  }
  void sum_rows(int rows, int cols, const float* in, float* out) override {
    op([=] { cpu_.sum_rows(rows, cols, in, out); });
  }
  void lstm_cell_forward(int b, int h, float* gates, const float* c_prev, float* c, float* h_out) override {
    op([=] { cpu_.lstm_cell_forward(b, h, gates, c_prev, c, h_out); });
  }
  void lstm_cell_backward(int b, int h, const float* gates, const float* c_prev, const float* c, const float* dh,
                          const float* dh_rec, float* dc, float* dgates) override {
    op([=] { cpu_.lstm_cell_backward(b, h, gates, c_prev, c, dh, dh_rec, dc, dgates); });
  }
  void softmax_xent(int rows, int v, const float* logits, const int32_t* targets, const float* scale, float* loss,
                    float* row_loss, float* dlogits) override {
    op([=] { cpu_.softmax_xent(rows, v, logits, targets, scale, loss, row_loss, dlogits); });
  }
  void dropout(std::size_t n, double p, uint64_t seed, uint32_t purpose, const uint64_t* step, const float* in,
               float* out) override {
    op([=] { cpu_.dropout(n, p, seed, purpose, step, in, out); });
  }
  void locked_dropout(std::size_t n, std::size_t period, double p, uint64_t seed, uint32_t purpose,
                      const uint64_t* step, const float* in, float* out) override {
    op([=] { cpu_.locked_dropout(n, period, p, seed, purpose, step, in, out); });
  }
  void embedding_dropout(int n, int e, const int32_t* ids, double p, uint64_t seed, uint32_t purpose,
                         const uint64_t* step, const float* in, float* out) override {
    op([=] { cpu_.embedding_dropout(n, e, ids, p, seed, purpose, step, in, out); });
  }
  void grad_norm(std::size_t n, const float* x, float* out) override {
    op([=] { cpu_.grad_norm(n, x, out); });
  }
  void adamw_step(std::size_t n, float* p, const float* g, float* m, float* v, const float* norm,
                  const AdamWScalars<float>* s, const uint8_t* base) override {
    op([=] { cpu_.adamw_step(n, p, g, m, v, norm, s, base); });
  }
  void axpby(std::size_t n, const float* x, float* y, const float* ab) override {
    op([=] { cpu_.axpby(n, x, y, ab); });
  }
  void fill(std::size_t n, float value, float* x) override {
    op([=] { cpu_.fill(n, value, x); });
  }
  void copy(std::size_t n, const float* src, float* dst) override {
    op([=] { cpu_.copy(n, src, dst); });
  }

  std::unique_ptr<Recording> record(const std::function<void()>& issue) override {
    if (refuse_to_record) throw Error("stream capture is not supported here");
    auto tape = std::make_unique<Tape>();
    recording_ = tape.get();
    try {
      issue();
    } catch (...) {
      recording_ = nullptr;
      throw;
    }
    recording_ = nullptr;
    ++recordings_made;
    return tape;
  }
  void replay(const Recording& r) override {
    for (const auto& f : dynamic_cast<const Tape&>(r).ops) f();
    ++replays;
  }

  int recordings_made = 0, replays = 0;
  bool refuse_to_record = false;  // record() throws, as a failed stream capture does

 private:
  void op(std::function<void()> f) {
    if (recording_) {
      recording_->ops.push_back(std::move(f));
    } else {
      f();
    }
  }
  void guard(const char* what) const {
    if (recording_) throw Error(std::string(what) + " while recording");
  }
  cpu::CpuBackend<float> cpu_;
  Tape* recording_ = nullptr;
};

// Padded batches of `lengths.size()` names with the given lengths (T = the longest + 1).
Batch batch_of(const std::vector<int>& lengths, int vocab, int salt) {
  std::vector<Example> ex(lengths.size());
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    ex[i].seq.push_back(1);
    for (int t = 0; t < lengths[i]; ++t)
      ex[i].seq.push_back(2 + (salt * 7 + static_cast<int>(i) * 3 + t) % (vocab - 2));
    idx.push_back(i);
  }
  return make_batch(ex, idx);
}

AdamWArgs args_for(int step) {
  AdamWArgs a;
  a.lr = 2e-3 * step;  // a different learning rate and bias correction every step
  a.step = step;
  a.weight_decay = 0.1;
  a.clip = 0.5;
  return a;
}

}  // namespace

TEST(RecordedTrainStep, ReplaysWithEachStepsBatchDropoutAndOptimizerValues) {
  const ModelConfig cfg{11, 5, 6, 2, 0.4};
  cpu::CpuBackend<float> plain;
  TapeBackend taped;
  Model<float> direct(plain, cfg), recorded(taped, cfg);
  direct.set_params(init_params(cfg, 5));
  recorded.set_params(init_params(cfg, 5));
  recorded.reserve(6, 3);  // room for both shapes from the start, as the trainer does
  // Two shapes alternate, with other tokens every time.
  for (int step = 1; step <= 8; ++step) {
    const Batch b = batch_of(step % 2 ? std::vector<int>{3, 2, 3} : std::vector<int>{5, 1, 4}, cfg.vocab, step);
    StepOptions so;
    so.train = true;
    so.seed = 3;
    so.step = static_cast<uint64_t>(step);
    direct.train_step(b, so, args_for(step));
    recorded.train_step(b, so, args_for(step));
  }
  EXPECT_EQ(taped.recordings_made, 2) << "one recording per batch shape";
  EXPECT_EQ(taped.replays, 8) << "every step, the first of each shape included, is a replay";
  EXPECT_EQ(recorded.recorded_steps(), 2u);
  const auto a = direct.take_step_log(), b = recorded.take_step_log();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].nll, b[i].nll) << "step " << i + 1;
    EXPECT_EQ(a[i].grad_norm, b[i].grad_norm) << "step " << i + 1;
  }
  EXPECT_TRUE(test::bit_equal(direct.get_params(), recorded.get_params()));
  EXPECT_TRUE(test::bit_equal(direct.get_moment(0), recorded.get_moment(0)));
  EXPECT_TRUE(test::bit_equal(direct.get_moment(1), recorded.get_moment(1)));
}

// Issue 29's regularisers: their masks are keyed by the step in backend
// memory, so a recording replays each step's masks; a model without
// --dropout makes the locked-dropout buffers on the first step, before any
// recording holds their addresses.
TEST(RecordedTrainStep, RegularisersReplayEachStepsMasks) {
  const ModelConfig cfg{11, 5, 6, 2, 0.0};
  cpu::CpuBackend<float> plain;
  TapeBackend taped;
  Model<float> direct(plain, cfg), recorded(taped, cfg);
  direct.set_params(init_params(cfg, 5));
  recorded.set_params(init_params(cfg, 5));
  recorded.reserve(6, 3);
  for (int step = 1; step <= 6; ++step) {
    const Batch b = batch_of(step % 2 ? std::vector<int>{3, 2, 3} : std::vector<int>{5, 1, 4}, cfg.vocab, step);
    StepOptions so;
    so.train = true;
    so.seed = 3;
    so.step = static_cast<uint64_t>(step);
    so.weight_drop = 0.3;
    so.locked_dropout = 0.25;
    so.embed_dropout = 0.2;
    direct.train_step(b, so, args_for(step));
    recorded.train_step(b, so, args_for(step));
  }
  EXPECT_EQ(taped.recordings_made, 2) << "one recording per batch shape";
  EXPECT_EQ(taped.replays, 6);
  const auto a = direct.take_step_log(), b = recorded.take_step_log();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].nll, b[i].nll) << "step " << i + 1;
  EXPECT_TRUE(test::bit_equal(direct.get_params(), recorded.get_params()));
  EXPECT_TRUE(test::bit_equal(direct.get_moment(1), recorded.get_moment(1)));
}

// --precision bf16: the shadow of the parameters is made inside the recorded
// step, so each replay rounds that step's weights (after the last AdamW
// step), and the masked weights of --weight-drop likewise; setting the
// precision drops the recordings made in FP32.
TEST(RecordedTrainStep, Bf16ReplaysRoundEachStepsWeights) {
  const ModelConfig cfg{11, 5, 6, 2, 0.3};
  cpu::CpuBackend<float> plain;
  TapeBackend taped;
  Model<float> direct(plain, cfg), recorded(taped, cfg);
  direct.set_params(init_params(cfg, 5));
  recorded.set_params(init_params(cfg, 5));
  recorded.reserve(6, 3);
  for (int step = 1; step <= 6; ++step) {
    if (step == 3) {  // two FP32 steps first: their recordings must not be replayed in BF16
      direct.set_precision(Precision::kBf16);
      recorded.set_precision(Precision::kBf16);
      EXPECT_EQ(recorded.recorded_steps(), 0u);
    }
    const Batch b = batch_of(step % 2 ? std::vector<int>{3, 2, 3} : std::vector<int>{5, 1, 4}, cfg.vocab, step);
    StepOptions so;
    so.train = true;
    so.seed = 3;
    so.step = static_cast<uint64_t>(step);
    so.weight_drop = 0.3;
    direct.train_step(b, so, args_for(step));
    recorded.train_step(b, so, args_for(step));
  }
  EXPECT_EQ(taped.recordings_made, 4) << "two shapes in FP32, then again in BF16";
  const auto a = direct.take_step_log(), b = recorded.take_step_log();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].nll, b[i].nll) << "step " << i + 1;
  EXPECT_TRUE(test::bit_equal(direct.get_params(), recorded.get_params()));
  EXPECT_TRUE(test::bit_equal(direct.get_moment(1), recorded.get_moment(1)));
}

// --base-rows-lr: marking the base's rows mid-run drops the recording made
// without the mask, and the recorded step then reads each step's rate for
// them (it changes every step here) from the step's scalars.
TEST(RecordedTrainStep, BaseRowsAreRecordedAgainAndTheirRateReplaysEachStep) {
  const ModelConfig cfg{11, 5, 6, 1, 0.0};
  cpu::CpuBackend<float> plain;
  TapeBackend taped;
  Model<float> direct(plain, cfg), recorded(taped, cfg);
  direct.set_params(init_params(cfg, 6));
  recorded.set_params(init_params(cfg, 6));
  recorded.reserve(6, 3);
  const std::vector<uint8_t> tokens{1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 0};
  for (int step = 1; step <= 6; ++step) {
    if (step == 3) {
      direct.set_marked_rows(tokens);
      recorded.set_marked_rows(tokens);
    }
    const Batch b = batch_of({3, 2, 3}, cfg.vocab, step);
    StepOptions so;
    so.step = static_cast<uint64_t>(step);
    AdamWArgs a = args_for(step);
    a.marked_rows_lr = 0.1 * step;
    direct.train_step(b, so, a);
    recorded.train_step(b, so, a);
  }
  EXPECT_EQ(taped.recordings_made, 2) << "recorded again once the mask is set";
  EXPECT_TRUE(test::bit_equal(direct.get_params(), recorded.get_params()));
  EXPECT_TRUE(test::bit_equal(direct.get_moment(1), recorded.get_moment(1)));
}

TEST(RecordedTrainStep, AWorkspaceThatGrowsIsRecordedAgainNotReplayedIntoFreedMemory) {
  const ModelConfig cfg{11, 5, 6, 1, 0.0};
  cpu::CpuBackend<float> plain;
  TapeBackend taped;
  Model<float> direct(plain, cfg), recorded(taped, cfg);
  direct.set_params(init_params(cfg, 6));
  recorded.set_params(init_params(cfg, 6));
  const std::vector<std::vector<int>> shapes{{2, 2}, {6, 6, 6, 6}, {2, 2}};  // the second outgrows the first
  for (int step = 1; step <= 3; ++step) {
    const Batch b = batch_of(shapes[step - 1], cfg.vocab, step);
    direct.train_step(b, {}, args_for(step));
    recorded.train_step(b, {}, args_for(step));
  }
  EXPECT_EQ(taped.recordings_made, 3) << "the first shape recorded again after the workspace moved";
  EXPECT_TRUE(test::bit_equal(direct.get_params(), recorded.get_params()));
}

TEST(RecordedTrainStep, ReservingTheLargestShapeFirstKeepsEveryRecording) {
  const ModelConfig cfg{11, 5, 6, 1, 0.0};
  TapeBackend taped;
  Model<float> m(taped, cfg);
  m.set_params(init_params(cfg, 7));
  m.reserve(7, 4);
  for (int step = 1; step <= 6; ++step) {
    const auto& shape = step % 2 ? std::vector<int>{2, 2} : std::vector<int>{6, 6, 6, 6};
    m.train_step(batch_of(shape, cfg.vocab, step), {}, args_for(step));
  }
  EXPECT_EQ(taped.recordings_made, 2);
  EXPECT_EQ(m.take_step_log().size(), 6u);
}

TEST(RecordedTrainStep, AFailedRecordingFallsBackToIssuingOpsAndSaysWhy) {
  const ModelConfig cfg{11, 5, 6, 1, 0.2};
  cpu::CpuBackend<float> plain;
  TapeBackend taped;
  taped.refuse_to_record = true;
  Model<float> direct(plain, cfg), fallback(taped, cfg);
  direct.set_params(init_params(cfg, 8));
  fallback.set_params(init_params(cfg, 8));
  for (int step = 1; step <= 3; ++step) {
    const Batch b = batch_of({3, 4}, cfg.vocab, step);
    StepOptions so;
    so.train = true;
    so.step = static_cast<uint64_t>(step);
    direct.train_step(b, so, args_for(step));
    fallback.train_step(b, so, args_for(step));
  }
  EXPECT_EQ(fallback.recorded_steps(), 0u);
  EXPECT_NE(fallback.recording_error().find("stream capture is not supported"), std::string::npos);
  EXPECT_TRUE(direct.recording_error().empty());
  EXPECT_TRUE(test::bit_equal(direct.get_params(), fallback.get_params()));
  EXPECT_EQ(fallback.take_step_log().size(), 3u);
}

// --recurrence (issue 30) on a backend without a fused recurrence (this
// tape's): auto runs the step loop; fused refuses, naming the flag and why.
TEST(RecordedTrainStep, ForcedFusedRecurrenceOnABackendWithoutOneSaysSo) {
  TapeBackend taped;
  EXPECT_FALSE(taped.lstm_recurrence_fit(3, 6).runs);
  EXPECT_FALSE(fused_recurrence(taped, 3, 6)) << "auto falls back to the step loop";
  taped.set_recurrence(RecurrencePath::kFused);
  try {
    fused_recurrence(taped, 3, 6);
    FAIL() << "forced fused ran on a backend without it";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("--recurrence fused"), std::string::npos) << what;
    EXPECT_NE(what.find("no fused LSTM recurrence"), std::string::npos) << what;
  }
}
