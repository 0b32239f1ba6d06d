// --precision bf16 on the CPU, the reference the GPU is checked against:
// the rounding to bfloat16 (to nearest, ties to even; NaN, infinities,
// subnormals), the CPU's cast and GEMM ops, the model's BF16 pass (every
// GEMM fed the rounded operands, nothing else changed), recorded steps,
// the setting's life in checkpoints and resume, and the flags.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <vector>

#include "model_test_util.hpp"
#include "test_util.hpp"
#include "train_test_util.hpp"
#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/model/bf16.hpp"
#include "wuxia/model/model.hpp"
#include "wuxia/model/precision.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/checkpoint.hpp"
#include "wuxia/train/trainer.hpp"
#include "wuxia/train/training_run.hpp"

using namespace wuxia;

namespace {

float from_bits(uint32_t u) {
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}
uint16_t bits_of(float x) { return to_bf16(x).bits; }

std::vector<float> uniform(std::size_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(gen);
  return v;
}

}  // namespace

// ---------------------------------------------------------------- rounding

TEST(Bf16Rounding, ExactValuesAreKept) {
  for (float x : {0.0f, 1.0f, -2.0f, 0.5f, 1.0078125f /* 1 + 2^-7 */, 3.0e38f * 0 + 65536.0f}) {
    EXPECT_EQ(from_bf16(to_bf16(x)), x) << x;
  }
  EXPECT_EQ(bits_of(1.0f), 0x3f80);
  EXPECT_EQ(bits_of(-0.0f), 0x8000) << "the sign of zero is kept";
}

TEST(Bf16Rounding, RoundsToNearestWithTiesToEven) {
  // 1 + 2^-8 lies half-way between 1 (mantissa even) and 1 + 2^-7 (odd): down.
  EXPECT_EQ(bits_of(from_bits(0x3f808000)), 0x3f80);
  // 1 + 3 * 2^-8 lies half-way between 1 + 2^-7 (odd) and 1 + 2^-6 (even): up.
  EXPECT_EQ(bits_of(from_bits(0x3f818000)), 0x3f82);
  // Either side of a tie goes to the nearer value.
  EXPECT_EQ(bits_of(from_bits(0x3f808001)), 0x3f81);
  EXPECT_EQ(bits_of(from_bits(0x3f807fff)), 0x3f80);
  // Negative values mirror the positive ones.
  EXPECT_EQ(bits_of(from_bits(0xbf808000)), 0xbf80);
  EXPECT_EQ(bits_of(from_bits(0xbf818000)), 0xbf82);
  // A carry out of the mantissa moves into the exponent: just below 2 rounds to 2.
  EXPECT_EQ(bits_of(from_bits(0x3fffffff)), 0x4000);
}

TEST(Bf16Rounding, LargestFloatsRoundToInfinityAndInfinitiesStay) {
  EXPECT_EQ(bits_of(FLT_MAX), 0x7f80) << "above the largest bfloat16 by more than half an ulp";
  EXPECT_EQ(bits_of(-FLT_MAX), 0xff80);
  EXPECT_EQ(bits_of(from_bits(0x7f7f7fff)), 0x7f7f) << "the largest finite bfloat16 stays finite";
  EXPECT_EQ(bits_of(std::numeric_limits<float>::infinity()), 0x7f80);
  EXPECT_EQ(bits_of(-std::numeric_limits<float>::infinity()), 0xff80);
}

TEST(Bf16Rounding, NaNStaysNaNWithItsSignAndIsQuiet) {
  const float qnan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(from_bf16(to_bf16(qnan))));
  EXPECT_TRUE(std::isnan(from_bf16(to_bf16(-qnan))));
  EXPECT_EQ(bits_of(-qnan) & 0x8000, 0x8000) << "the sign is kept";
  // A signalling NaN whose payload is only in the low 16 bits: truncating
  // would make it an infinity, and rounding up would carry into the sign.
  for (uint32_t u : {0x7f800001u, 0x7f80ffffu, 0xff800001u, 0x7fffffffu, 0xffffffffu}) {
    const uint16_t h = bits_of(from_bits(u));
    EXPECT_TRUE(std::isnan(from_bf16(Bf16{h}))) << std::hex << u << " -> " << h;
    EXPECT_EQ(h & 0x0040, 0x0040) << "quiet: " << std::hex << u;
    EXPECT_EQ(h & 0x8000, (u >> 16) & 0x8000) << "sign: " << std::hex << u;
  }
}

TEST(Bf16Rounding, SubnormalsRoundLikeNormals) {
  EXPECT_EQ(bits_of(from_bits(0x00000001)), 0x0000) << "the smallest float subnormal is below half a bfloat16 ulp";
  EXPECT_EQ(bits_of(from_bits(0x00008000)), 0x0000) << "a tie, toward the even 0";
  EXPECT_EQ(bits_of(from_bits(0x00018000)), 0x0002) << "a tie, toward the even 2";
  EXPECT_EQ(bits_of(from_bits(0x00010000)), 0x0001) << "the smallest bfloat16 subnormal is exact";
  EXPECT_EQ(bits_of(from_bits(0x807fffff)), 0x8080) << "the largest subnormal rounds up to the smallest normal";
}

TEST(Bf16Rounding, ErrorIsAtMostHalfAnUlpOverRandomValues) {
  const auto x = uniform(20000, -1e3f, 1e3f, 7);
  for (float v : x) {
    const float r = from_bf16(to_bf16(v));
    int e = 0;
    std::frexp(v, &e);                      // v = m 2^e, 0.5 <= |m| < 1
    const double ulp = std::ldexp(1.0, e - 8);  // bfloat16 keeps 8 significant bits
    ASSERT_LE(std::abs(static_cast<double>(r) - v), 0.5 * ulp) << v;
  }
}

// ---------------------------------------------------------------- CPU ops

TEST(Bf16CpuOps, CastIsTheRoundingOfEachElement) {
  auto x = uniform(1000, -5, 5, 3);
  x.push_back(std::numeric_limits<float>::quiet_NaN());
  x.push_back(-std::numeric_limits<float>::infinity());
  x.push_back(from_bits(0x3f818000));
  std::vector<Bf16> out(x.size());
  cpu::cast_bf16(x.size(), x.data(), out.data());
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_EQ(out[i].bits, bits_of(x[i])) << i;
  // Doubles round to float first (the contract says so).
  const std::vector<double> d{1.0 + 1.0 / 256, -3.25, 1e-40};
  std::vector<Bf16> od(d.size());
  cpu::cast_bf16(d.size(), d.data(), od.data());
  for (std::size_t i = 0; i < d.size(); ++i) EXPECT_EQ(od[i].bits, bits_of(static_cast<float>(d[i]))) << i;
}

// gemm_bf16 is gemm on the widened inputs, bit for bit, at every transpose,
// with leading dimensions past the minimum (a strided operand is read up to
// its last element only: AddressSanitizer's run would see an overread).
TEST(Bf16CpuOps, GemmIsTheFp32GemmOfTheRoundedInputs) {
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "ta " << ta << " tb " << tb);
      const int m = 37, n = 29, k = 45;
      const int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 2;
      const int rows_a = ta ? k : m, rows_b = tb ? n : k;
      const std::size_t na = static_cast<std::size_t>(rows_a - 1) * lda + (ta ? m : k);
      const std::size_t nb = static_cast<std::size_t>(rows_b - 1) * ldb + (tb ? k : n);
      const auto a = uniform(na, -1, 1, 1), b = uniform(nb, -1, 1, 2);
      std::vector<Bf16> ah(na), bh(nb);
      cpu::cast_bf16(na, a.data(), ah.data());
      cpu::cast_bf16(nb, b.data(), bh.data());
      std::vector<float> ar(na), br(nb);
      cpu::widen_bf16(na, ah.data(), ar.data());
      cpu::widen_bf16(nb, bh.data(), br.data());
      const auto c0 = uniform(static_cast<std::size_t>(m) * ldc, -1, 1, 3);
      auto got = c0, want = c0;
      cpu::gemm_bf16(ta, tb, m, n, k, 0.75f, ah.data(), lda, bh.data(), ldb, 0.5f, got.data(), ldc);
      cpu::gemm(ta, tb, m, n, k, 0.75f, ar.data(), lda, br.data(), ldb, 0.5f, want.data(), ldc);
      EXPECT_TRUE(test::bit_equal(got, want));
      // And it is not the FP32 product of the unrounded inputs.
      auto fp32 = c0;
      cpu::gemm(ta, tb, m, n, k, 0.75f, a.data(), lda, b.data(), ldb, 0.5f, fp32.data(), ldc);
      EXPECT_FALSE(test::bit_equal(got, fp32));
    }
  }
}

TEST(Bf16CpuOps, GemmWithKZeroScalesC) {
  std::vector<float> c{1, 2, 3, 4, 5, 6};
  cpu::gemm_bf16<float>(false, true, 2, 3, 0, 1.0f, nullptr, 1, nullptr, 1, 0.5f, c.data(), 3);
  EXPECT_EQ(c, (std::vector<float>{0.5f, 1, 1.5f, 2, 2.5f, 3}));
}

// ---------------------------------------------------------------- the model

namespace {

// The CPU backend with FP32 GEMMs that round their inputs to bfloat16 first:
// the model's FP32 pass on it is, GEMM for GEMM, what its BF16 pass must be,
// computed without any of the BF16 pass's bookkeeping (shadows, rounded
// copies kept from one GEMM to the next, offsets into them).
class RoundingBackend final : public Backend<float> {
 public:
  std::string name() const override { return "cpu (gemm inputs rounded)"; }
  void* allocate(std::size_t bytes) override { return cpu_.allocate(bytes); }
  void deallocate(void* p) noexcept override { cpu_.deallocate(p); }
  void upload(void* dst, const void* src, std::size_t bytes) override { cpu_.upload(dst, src, bytes); }
  void download(void* dst, const void* src, std::size_t bytes) override { cpu_.download(dst, src, bytes); }
  void synchronize() override {}
  void gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb,
            float beta, float* c, int ldc) override {
    if (m <= 0 || n <= 0 || k <= 0) return cpu_.gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    const std::size_t na = static_cast<std::size_t>((ta ? k : m) - 1) * lda + (ta ? m : k);
    const std::size_t nb = static_cast<std::size_t>((tb ? n : k) - 1) * ldb + (tb ? k : n);
    std::vector<Bf16> ah(na), bh(nb);
    cpu::cast_bf16(na, a, ah.data());
    cpu::cast_bf16(nb, b, bh.data());
    std::vector<float> ar(na), br(nb);
    cpu::widen_bf16(na, ah.data(), ar.data());
    cpu::widen_bf16(nb, bh.data(), br.data());
    cpu_.gemm(ta, tb, m, n, k, alpha, ar.data(), lda, br.data(), ldb, beta, c, ldc);
  }
  void gemm_bf16(bool ta, bool tb, int m, int n, int k, float alpha, const Bf16* a, int lda, const Bf16* b, int ldb,
                 float beta, float* c, int ldc) override {
    cpu_.gemm_bf16(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
  void cast_bf16(std::size_t n, const float* in, Bf16* out) override { cpu_.cast_bf16(n, in, out); }
  void embedding_forward(int n, int e, const int32_t* ids, const float* w, float* out) override {
    cpu_.embedding_forward(n, e, ids, w, out);
  }
  void embedding_backward(int n, int e, int v, const int32_t* ids, const float* dout, float* dw) override {
    cpu_.embedding_backward(n, e, v, ids, dout, dw);
  }
  void bias_rows(int rows, int cols, const float* b1, const float* b2, float* out) override {
    cpu_.bias_rows(rows, cols, b1, b2, out);
  }
  void sum_rows(int rows, int cols, const float* in, float* out) override { cpu_.sum_rows(rows, cols, in, out); }
  void lstm_cell_forward(int b, int h, float* gates, const float* c_prev, float* c, float* h_out) override {
    cpu_.lstm_cell_forward(b, h, gates, c_prev, c, h_out);
  }
  void lstm_cell_backward(int b, int h, const float* gates, const float* c_prev, const float* c, const float* dh,
                          const float* dh_rec, float* dc, float* dgates) override {
    cpu_.lstm_cell_backward(b, h, gates, c_prev, c, dh, dh_rec, dc, dgates);
  }
  void softmax_xent(int rows, int v, const float* logits, const int32_t* targets, const float* scale, float* loss,
                    float* row_loss, float* dlogits) override {
    cpu_.softmax_xent(rows, v, logits, targets, scale, loss, row_loss, dlogits);
  }
  void dropout(std::size_t n, double p, uint64_t seed, uint32_t purpose, const uint64_t* step, const float* in,
               float* out) override {
    cpu_.dropout(n, p, seed, purpose, step, in, out);
  }
  void locked_dropout(std::size_t n, std::size_t period, double p, uint64_t seed, uint32_t purpose,
                      const uint64_t* step, const float* in, float* out) override {
    cpu_.locked_dropout(n, period, p, seed, purpose, step, in, out);
  }
  void embedding_dropout(int n, int e, const int32_t* ids, double p, uint64_t seed, uint32_t purpose,
                         const uint64_t* step, const float* in, float* out) override {
    cpu_.embedding_dropout(n, e, ids, p, seed, purpose, step, in, out);
  }
  void grad_norm(std::size_t n, const float* x, float* out) override { cpu_.grad_norm(n, x, out); }
  void adamw_step(std::size_t n, float* p, const float* g, float* m, float* v, const float* norm,
                  const AdamWScalars<float>* s, const uint8_t* base) override {
    cpu_.adamw_step(n, p, g, m, v, norm, s, base);
  }
  void axpby(std::size_t n, const float* x, float* y, const float* ab) override { cpu_.axpby(n, x, y, ab); }
  void fill(std::size_t n, float value, float* x) override { cpu_.fill(n, value, x); }
  void copy(std::size_t n, const float* src, float* dst) override { cpu_.copy(n, src, dst); }

 private:
  cpu::CpuBackend<float> cpu_{1};
};

// Larger than the tiny model, so that rounding shows: V=23 E=10 H=12 L=2.
ModelConfig bf16_config(double dropout) {
  ModelConfig cfg;
  cfg.vocab = 23;
  cfg.embed = 10;
  cfg.hidden = 12;
  cfg.layers = 2;
  cfg.dropout = dropout;
  return cfg;
}

StepOptions train_opts(uint64_t step) {
  StepOptions so;
  so.train = true;
  so.backward = true;
  so.seed = 9;
  so.step = step;
  return so;
}

AdamWArgs adamw_for(int64_t step) {
  AdamWArgs a;
  a.lr = 1e-2;
  a.weight_decay = 0.1;
  a.clip = 1.0;
  a.step = step;
  return a;
}

// The BF16 pass against the FP32 pass on RoundingBackend: loss, logits,
// gradients and, after AdamW, parameters, bit for bit, over three steps.
void expect_bf16_pass_is_the_rounded_fp32_pass(const ModelConfig& cfg, StepOptions extra) {
  cpu::CpuBackend<float> cpu(1);
  RoundingBackend rounding;
  Model<float> bf(cpu, cfg), ref(rounding, cfg);
  bf.set_precision(Precision::kBf16);
  const auto init = init_params(cfg, 4);
  bf.set_params(init);
  ref.set_params(init);
  const Batch batch = test::tiny_batch(cfg.vocab);
  for (int step = 1; step <= 3; ++step) {
    SCOPED_TRACE(::testing::Message() << "step " << step);
    StepOptions so = train_opts(static_cast<uint64_t>(step));
    so.weight_drop = extra.weight_drop;
    so.locked_dropout = extra.locked_dropout;
    so.embed_dropout = extra.embed_dropout;
    EXPECT_EQ(bf.forward(batch, so), ref.forward(batch, so));
    EXPECT_TRUE(test::bit_equal(bf.get_logits(), ref.get_logits())) << "d-logits";
    EXPECT_TRUE(test::bit_equal(bf.get_grads(), ref.get_grads())) << "gradients";
    bf.optimizer_step(adamw_for(step));
    ref.optimizer_step(adamw_for(step));
    EXPECT_TRUE(test::bit_equal(bf.get_params(), ref.get_params())) << "parameters";
  }
}

}  // namespace

TEST(Bf16Model, EveryGemmOfTheStepReadsItsOperandsRoundedToBf16) {
  expect_bf16_pass_is_the_rounded_fp32_pass(bf16_config(0.25), {});
}

TEST(Bf16Model, WithTheRegularisersTheMaskedOperandsAreRounded) {
  StepOptions extra;
  extra.weight_drop = 0.3;
  extra.locked_dropout = 0.2;
  extra.embed_dropout = 0.15;
  expect_bf16_pass_is_the_rounded_fp32_pass(bf16_config(0.25), extra);
  expect_bf16_pass_is_the_rounded_fp32_pass(bf16_config(0.0), extra);
}

TEST(Bf16Model, ALayerOfOneStepAndOneLayerWithoutDropout) {
  ModelConfig cfg = bf16_config(0.0);
  cfg.layers = 1;
  cpu::CpuBackend<float> cpu(1);
  RoundingBackend rounding;
  Model<float> bf(cpu, cfg), ref(rounding, cfg);
  bf.set_precision(Precision::kBf16);
  bf.set_params(init_params(cfg, 5));
  ref.set_params(init_params(cfg, 5));
  std::vector<Example> ex(2);
  ex[0].seq = {1};  // T = 1: no recurrent GEMM, no weight_hh gradient GEMM
  ex[1].seq = {2};
  const Batch batch = make_batch(ex, {0, 1});
  EXPECT_EQ(bf.forward(batch, train_opts(1)), ref.forward(batch, train_opts(1)));
  EXPECT_TRUE(test::bit_equal(bf.get_grads(), ref.get_grads()));
}

// Close to the FP32 step (bfloat16 keeps 8 significant bits: errors of
// ~0.4% per input, averaged over sums) but not equal to it, so the BF16
// path is what ran; and back in FP32 the model is the FP32 model again.
TEST(Bf16Model, ItsLossAndGradientsAreNearTheFp32OnesAndFp32ComesBack) {
  const ModelConfig cfg = bf16_config(0.25);
  cpu::CpuBackend<float> cpu(1);
  Model<float> m(cpu, cfg);
  m.set_params(init_params(cfg, 6));
  const Batch batch = test::tiny_batch(cfg.vocab);
  const double fp32 = m.forward(batch, train_opts(1));
  const auto g32 = m.get_grads();
  m.set_precision(Precision::kBf16);
  EXPECT_EQ(m.precision(), Precision::kBf16);
  const double bf16 = m.forward(batch, train_opts(1));
  const auto g16 = m.get_grads();
  EXPECT_NE(bf16, fp32);
  EXPECT_NEAR(bf16, fp32, 1e-2 * std::abs(fp32));
  EXPECT_FALSE(test::bit_equal(g16, g32));
  double worst = 0, scale = 0;
  for (std::size_t i = 0; i < g32.size(); ++i) {
    worst = std::max(worst, static_cast<double>(std::abs(g16[i] - g32[i])));
    scale = std::max(scale, static_cast<double>(std::abs(g32[i])));
  }
  EXPECT_LT(worst, 3e-2 * scale);
  m.set_precision(Precision::kFp32);
  EXPECT_EQ(m.forward(batch, train_opts(1)), fp32);
  EXPECT_TRUE(test::bit_equal(m.get_grads(), g32));
}

// The shadow is made from the parameters at the start of each pass, so an
// evaluation after swap_average (--ema) runs on the average, rounded.
TEST(Bf16Model, TheShadowFollowsTheOptimizerAndTheSwappedAverage) {
  const ModelConfig cfg = bf16_config(0.0);
  cpu::CpuBackend<float> cpu(1);
  Model<float> m(cpu, cfg), other(cpu, cfg);
  m.set_precision(Precision::kBf16);
  other.set_precision(Precision::kBf16);
  const auto a = init_params(cfg, 7), b = init_params(cfg, 8);
  m.set_params(a);
  m.set_average(b);
  other.set_params(b);
  const Batch batch = test::tiny_batch(cfg.vocab);
  StepOptions eval;
  const double on_a = m.forward(batch, eval);
  m.swap_average();
  EXPECT_EQ(m.forward(batch, eval), other.forward(batch, eval));
  m.swap_average();
  EXPECT_EQ(m.forward(batch, eval), on_a);
  // After a step the next pass rounds the new weights.
  m.train_step(batch, train_opts(1), adamw_for(1));
  other.set_params(m.get_params());
  EXPECT_EQ(m.forward(batch, eval), other.forward(batch, eval));
}

// ---------------------------------------------------------------- runs

namespace {

Backend<float>& cpu_backend() {
  static cpu::CpuBackend<float> be(2);
  return be;
}

const char* kNames =
    "令狐冲\n任我行\n任盈盈\n岳不群\n林平之\n东方不败\n向问天\n风清扬\n田伯光\n仪琳\n"
    "郭靖\n黄蓉\n杨过\n小龙女\n洪七公\n欧阳锋\n黄药师\n一灯大师\n周伯通\n王重阳\n";

}  // namespace

TEST(Bf16Run, TheCheckpointKeepsThePrecisionAndResumeIsBitForBit) {
  test::TempDir dir;
  std::ostringstream log;
  TrainOptions straight = test::small_run(dir, "straight", kNames);
  straight.settings.precision = Precision::kBf16;
  straight.steps = 9;
  train(straight, cpu_backend(), log);
  TrainOptions first = test::small_run(dir, "split", kNames);
  first.settings.precision = Precision::kBf16;
  first.steps = 5;
  train(first, cpu_backend(), log);
  // Resumed without the flag: the checkpoint's precision carries on.
  train(test::resumed_run(dir, "split", 9), cpu_backend(), log);
  const Checkpoint a = load_checkpoint(dir.file("straight/last.safetensors"));
  const Checkpoint b = load_checkpoint(dir.file("split/last.safetensors"));
  EXPECT_EQ(b.settings.precision, Precision::kBf16);
  EXPECT_EQ(b.state.step, 9);
  EXPECT_TRUE(test::bit_equal(a.params, b.params));
  EXPECT_TRUE(test::bit_equal(a.adam_m, b.adam_m));
  EXPECT_TRUE(test::bit_equal(a.adam_v, b.adam_v));
  EXPECT_EQ(a.state.best_val_loss, b.state.best_val_loss);
  // And the run was a BF16 one: an FP32 run of the same steps ends elsewhere.
  TrainOptions fp32 = test::small_run(dir, "fp32", kNames);
  fp32.steps = 9;
  train(fp32, cpu_backend(), log);
  const Checkpoint c = load_checkpoint(dir.file("fp32/last.safetensors"));
  EXPECT_EQ(c.settings.precision, Precision::kFp32);
  EXPECT_FALSE(test::bit_equal(a.params, c.params));
}

TEST(Bf16Run, AnFp32CheckpointHasNoPrecisionEntryAndABf16OneSaysBf16) {
  test::TempDir dir;
  std::ostringstream log;
  TrainOptions o = test::small_run(dir, "fp32", kNames);
  o.steps = 1;
  train(o, cpu_backend(), log);
  const std::string header32 = test::read_file(dir.file("fp32/last.safetensors")).substr(0, 4096);
  EXPECT_EQ(header32.find("precision"), std::string::npos) << "an FP32 run writes the bytes it wrote before";
  TrainOptions p = test::small_run(dir, "bf16", kNames);
  p.steps = 1;
  p.settings.precision = Precision::kBf16;
  train(p, cpu_backend(), log);
  const std::string header16 = test::read_file(dir.file("bf16/last.safetensors")).substr(0, 4096);
  EXPECT_NE(header16.find("\\\"precision\\\":\\\"bf16\\\""), std::string::npos) << header16;
}

TEST(Bf16Run, AChangeOnResumeIsRefusedNamingTheFlag) {
  test::TempDir dir;
  std::ostringstream log;
  TrainOptions o = test::small_run(dir, "run", kNames);
  o.settings.precision = Precision::kBf16;
  o.steps = 2;
  train(o, cpu_backend(), log);
  TrainOptions rest = test::resumed_run(dir, "run", 4);
  rest.settings.precision = Precision::kFp32;
  rest.given = {"precision"};
  EXPECT_NE(test::error_of([&] { train(rest, cpu_backend(), log); })
                .find("--precision fp32 cannot change on --resume: the checkpoint has bf16"),
            std::string::npos);
  rest.settings.precision = Precision::kBf16;  // repeated with the checkpoint's value: accepted
  train(rest, cpu_backend(), log);
  EXPECT_EQ(load_checkpoint(dir.file("run/last.safetensors")).state.step, 4);
}

TEST(Bf16Run, ACheckpointWithAnUnknownPrecisionIsRefusedNamingTheField) {
  EXPECT_EQ(parse_precision("bf16", "--precision"), Precision::kBf16);
  EXPECT_EQ(parse_precision("fp32", "--precision"), Precision::kFp32);
  const std::string e = test::error_of([] { parse_precision("fp16", "settings.precision"); });
  EXPECT_NE(e.find("settings.precision fp16: expected fp32 or bf16"), std::string::npos) << e;
}

TEST(Bf16Run, TheCommandLineRefusesAnUnknownPrecisionNamingTheFlag) {
  test::TempDir dir;
  test::write_file(dir.file("n.txt"), kNames);
  const test::RunResult a = test::run_wuxia("train --precision fp16 --data " + dir.file("n.txt") + " --out " +
                                            dir.file("o") + " --steps 1 --from-scratch");
  EXPECT_NE(a.code, 0);
  EXPECT_NE(a.out.find("--precision fp16: expected fp32 or bf16"), std::string::npos) << a.out;
  const test::RunResult b = test::run_wuxia("bench --op peak --precision bf16");
  EXPECT_NE(b.code, 0);
  EXPECT_NE(b.out.find("--precision bf16 applies to --op train only"), std::string::npos) << b.out;
}

// On the CPU, BF16 is emulated by the reference ops: bench and verify run it
// (verify against the CPU again: the same ops, so no difference at all).
TEST(Bf16Run, BenchAndVerifyRunItOnTheCpu) {
  test::TempDir dir;
  test::write_file(dir.file("n.txt"), kNames);
  const test::RunResult b = test::run_wuxia("bench --data " + dir.file("n.txt") +
                                            " --embed 8 --hidden 16 --batch 4 --steps 2 --warmup 0 "
                                            "--precision bf16 --json");
  ASSERT_EQ(b.code, 0) << b.out;
  EXPECT_NE(b.out.find("\"precision\":\"bf16\""), std::string::npos) << b.out;
  const test::RunResult v = test::run_wuxia("verify --against cpu --data " + dir.file("n.txt") +
                                            " --embed 8 --hidden 16 --batch 4 --steps 2 --precision bf16");
  ASSERT_EQ(v.code, 0) << v.out;
  EXPECT_NE(v.out.find("BF16 GEMM inputs on both"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("0.01 * max|cpu|"), std::string::npos) << "the BF16 default tolerance: " << v.out;
  EXPECT_NE(v.out.find("PASS"), std::string::npos) << v.out;
}

// The fused recurrence takes FP32 weights: under BF16 `auto` runs the steps
// (the same result as `steps`), and a forced `fused` is refused by name.
TEST(Bf16Model, TheFusedRecurrenceIsNotTakenInBf16) {
  ModelConfig cfg = bf16_config(0.0);
  std::vector<Example> ex(2);
  ex[0].seq = {1, 2, 3};
  ex[1].seq = {2, 1};
  const Batch batch = make_batch(ex, {0, 1});
  auto loss = [&](RecurrencePath path) {
    cpu::CpuBackend<float> cpu(1);
    cpu.set_recurrence(path);
    Model<float> m(cpu, cfg);
    m.set_precision(Precision::kBf16);
    m.set_params(init_params(cfg, 5));
    return m.forward(batch, train_opts(1));
  };
  EXPECT_EQ(loss(RecurrencePath::kAuto), loss(RecurrencePath::kSteps));
  const std::string e = test::error_of([&] { loss(RecurrencePath::kFused); });
  EXPECT_NE(e.find("--recurrence fused does not run with --precision bf16"), std::string::npos) << e;
}
