// The CUDA backend against the CPU reference: every op on random inputs at an
// odd size (B=3, H=33, V=101: nothing a multiple of a warp or a tile) and a
// typical one (B=64, H=256, V=900), then whole-model training steps. Needs a
// GPU; without one every test here is skipped, with the reason.
#include <gtest/gtest.h>

#if WUXIA_BUILT_WITH_CUDA

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.hpp"
#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/cuda/cuda_backend.hpp"
#include "wuxia/data/batch.hpp"
#include "wuxia/model/backend.hpp"
#include "wuxia/model/compare.hpp"
#include "wuxia/model/lstm_layer.hpp"
#include "wuxia/model/model.hpp"
#include "wuxia/model/params.hpp"
#include "wuxia/model/step_compare.hpp"
#include "wuxia/platform/error.hpp"

using namespace wuxia;
using test::bit_equal;

namespace {

struct Size {
  const char* name;
  int B, H, V, E, T;
};
const Size kSmall{"Small", 3, 33, 101, 17, 5};
const Size kTypical{"Typical", 64, 256, 900, 64, 12};

std::string size_name(const ::testing::TestParamInfo<Size>& info) { return info.param.name; }
void PrintTo(const Size& s, std::ostream* os) {
  *os << s.name << " (B=" << s.B << " H=" << s.H << " V=" << s.V << " E=" << s.E << " T=" << s.T << ")";
}

// The project's one tolerance rule (wuxia/model/compare.hpp), as a gtest assertion
// that lists the first offenders.
::testing::AssertionResult within(const std::vector<float>& got, const std::vector<float>& ref, const Tolerance& tol) {
  const Diff d = compare(got, ref, tol);
  if (d.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << d.describe();
}

// Single ops: each element against its own |ref| (an op's rounding error grows
// with its value). NaN matches NaN, as on the CPU.
::testing::AssertionResult all_close(const std::vector<float>& got, const std::vector<float>& ref, double atol,
                                     double rtol) {
  return within(got, ref, Tolerance{atol, rtol, Tolerance::Scale::Element});
}

std::vector<float> uniform(std::size_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(gen);
  return v;
}

std::vector<int32_t> ints(std::size_t n, int lo, int hi, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<int32_t> v(n);
  for (auto& x : v) x = d(gen);
  return v;
}

template <class U>
std::vector<U> to_host(const Buffer<U>& b) {
  std::vector<U> h(b.size());
  b.download(h.data(), h.size());
  return h;
}

bool have_gpu(std::string* why) { return cuda::device_usable(why); }

// A test with the GPU backend, skipped (with the reason) where there is none.
template <class TestBase>
class WithGpu : public TestBase {
 protected:
  void SetUp() override {
    std::string why;
    if (!have_gpu(&why)) GTEST_SKIP() << "no usable CUDA device: " << why;
    gpu_ = cuda::make_backend();
  }
  Backend<float>& gpu() { return *gpu_; }
  std::unique_ptr<Backend<float>> gpu_;
};

class CudaOps : public WithGpu<::testing::TestWithParam<Size>> {};

// ---------------------------------------------------------------- GEMM

void check_gemm(Backend<float>& be, bool ta, bool tb, int m, int n, int k, double atol, double rtol, uint32_t seed) {
  SCOPED_TRACE(::testing::Message() << "gemm ta=" << ta << " tb=" << tb << " m=" << m << " n=" << n << " k=" << k);
  // Leading dimensions past the minimum, so a swapped ld or m/n shows.
  const int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 2;
  const int rows_a = ta ? k : m, rows_b = tb ? n : k;
  const auto a = uniform(static_cast<std::size_t>(rows_a) * lda, -1, 1, seed);
  const auto b = uniform(static_cast<std::size_t>(rows_b) * ldb, -1, 1, seed + 1);
  auto c = uniform(static_cast<std::size_t>(m) * ldc, -1, 1, seed + 2);
  const float alpha = 0.75f, beta = 0.5f;
  auto da = buffer_from(be, a);
  auto db = buffer_from(be, b);
  auto dc = buffer_from(be, c);
  be.gemm(ta, tb, m, n, k, alpha, da.data(), lda, db.data(), ldb, beta, dc.data(), ldc);
  cpu::gemm(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
  EXPECT_TRUE(all_close(to_host(dc), c, atol, rtol));  // padding columns of C included: must be untouched
}

TEST_P(CudaOps, Gemm) {
  const Size s = GetParam();
  const int N = s.B * s.T;
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      check_gemm(gpu(), ta, tb, N, 4 * s.H, s.H, 1e-4, 1e-4, 10);    // recurrent / input projection
      check_gemm(gpu(), ta, tb, s.V, s.H, N, 1e-4, 1e-4, 20);        // dW of the output layer: k = all rows
      check_gemm(gpu(), ta, tb, s.B, s.H, 4 * s.H, 1e-4, 1e-4, 30);  // dh_rec
    }
  }
}

TEST_P(CudaOps, GemmWithKZeroScalesC) {
  const Size s = GetParam();
  const int m = s.B, n = s.H, ldc = n + 1;
  auto c = uniform(static_cast<std::size_t>(m) * ldc, -1, 1, 5);
  auto dc = buffer_from(gpu(), c);
  gpu().gemm(false, true, m, n, 0, 1.0f, nullptr, 1, nullptr, 1, 0.25f, dc.data(), ldc);
  cpu::gemm<float>(false, true, m, n, 0, 1.0f, nullptr, 1, nullptr, 1, 0.25f, c.data(), ldc);
  EXPECT_TRUE(bit_equal(to_host(dc), c));
}

TEST_P(CudaOps, GemmTf32IsCloseButLooser) {
  auto tf32 = cuda::make_backend(cuda::Options{true});
  const Size s = GetParam();
  // TF32 keeps 10 mantissa bits of each input: errors of ~1e-3 relative per
  // product, summed over k terms.
  check_gemm(*tf32, false, true, s.B * s.T, 4 * s.H, s.H, 5e-2, 1e-2, 40);
  check_gemm(*tf32, true, false, s.V, s.H, s.B * s.T, 5e-2, 1e-2, 50);
}

// ---------------------------------------------------------------- bfloat16 (--precision bf16)

std::vector<Bf16> rounded(const std::vector<float>& x) {
  std::vector<Bf16> h(x.size());
  cpu::cast_bf16(x.size(), x.data(), h.data());
  return h;
}

float float_of_bits(uint32_t u) {
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

// The GPU rounds with the CPU's function (bf16_round_bits): the same bits
// for random values and for every special case the CPU's tests pin.
TEST_P(CudaOps, CastBf16MatchesTheCpuBitForBit) {
  const Size s = GetParam();
  auto x = uniform(static_cast<std::size_t>(s.B) * s.T * 4 * s.H + 7, -4, 4, 60);
  for (uint32_t u : {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0xff800001u, 0x7f800000u, 0xff800000u, 0x7f7fffffu,
                     0xff7fffffu, 0x3f808000u, 0x3f818000u, 0x3fffffffu, 0x00018000u, 0x00000001u, 0x807fffffu,
                     0x80000000u, 0x00000000u}) {
    x.push_back(float_of_bits(u));
  }
  const std::vector<Bf16> want = rounded(x);
  auto dx = buffer_from(gpu(), x);
  Buffer<Bf16> dh(gpu(), x.size());
  gpu().cast_bf16(x.size(), dx.data(), dh.data());
  const std::vector<Bf16> got = to_host(dh);
  std::size_t bad = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (got[i].bits != want[i].bits && ++bad <= 5) {
      ADD_FAILURE() << "[" << i << "] " << x[i] << ": gpu " << std::hex << got[i].bits << " cpu " << want[i].bits;
    }
  }
  EXPECT_EQ(bad, 0u);
}

// bfloat16 A and B (the same bits on both sides), FP32 C: only the order of
// the FP32 sums differs, so FP32's tolerance holds.
void check_gemm_bf16(Backend<float>& be, bool ta, bool tb, int m, int n, int k, uint32_t seed) {
  SCOPED_TRACE(::testing::Message() << "gemm_bf16 ta=" << ta << " tb=" << tb << " m=" << m << " n=" << n
                                    << " k=" << k);
  const int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 2;
  const int rows_a = ta ? k : m, rows_b = tb ? n : k;
  const auto a = rounded(uniform(static_cast<std::size_t>(rows_a) * lda, -1, 1, seed));
  const auto b = rounded(uniform(static_cast<std::size_t>(rows_b) * ldb, -1, 1, seed + 1));
  auto c = uniform(static_cast<std::size_t>(m) * ldc, -1, 1, seed + 2);
  auto da = buffer_from(be, a);
  auto db = buffer_from(be, b);
  auto dc = buffer_from(be, c);
  be.gemm_bf16(ta, tb, m, n, k, 0.75f, da.data(), lda, db.data(), ldb, 0.5f, dc.data(), ldc);
  cpu::gemm_bf16(ta, tb, m, n, k, 0.75f, a.data(), lda, b.data(), ldb, 0.5f, c.data(), ldc);
  EXPECT_TRUE(all_close(to_host(dc), c, 1e-4, 1e-4));  // padding columns of C included: must be untouched
}

TEST_P(CudaOps, GemmBf16) {
  const Size s = GetParam();
  const int N = s.B * s.T;
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      check_gemm_bf16(gpu(), ta, tb, N, 4 * s.H, s.H, 70);    // recurrent / input projection
      check_gemm_bf16(gpu(), ta, tb, s.V, s.H, N, 80);        // dW of the output layer: k = all rows
      check_gemm_bf16(gpu(), ta, tb, s.B, s.H, 4 * s.H, 90);  // dh_rec
    }
  }
}

TEST_P(CudaOps, GemmBf16WithKZeroScalesC) {
  const Size s = GetParam();
  const int m = s.B, n = s.H, ldc = n + 1;
  auto c = uniform(static_cast<std::size_t>(m) * ldc, -1, 1, 5);
  auto dc = buffer_from(gpu(), c);
  gpu().gemm_bf16(false, true, m, n, 0, 1.0f, nullptr, 1, nullptr, 1, 0.25f, dc.data(), ldc);
  cpu::gemm_bf16<float>(false, true, m, n, 0, 1.0f, nullptr, 1, nullptr, 1, 0.25f, c.data(), ldc);
  EXPECT_TRUE(bit_equal(to_host(dc), c));
}

// ---------------------------------------------------------------- embedding

// n ids into a [v, e] table, forward and backward, against the CPU.
void check_embedding_forward(Backend<float>& be, int n, int e, int v) {
  const auto ids = ints(n, 0, v - 1, 1);
  const auto w = uniform(static_cast<std::size_t>(v) * e, -1, 1, 2);
  std::vector<float> out(static_cast<std::size_t>(n) * e);
  cpu::embedding_forward(n, e, ids.data(), w.data(), out.data());
  auto dids = buffer_from(be, ids);
  auto dw = buffer_from(be, w);
  Buffer<float> dout(be, out.size());
  be.embedding_forward(n, e, dids.data(), dw.data(), dout.data());
  EXPECT_TRUE(bit_equal(to_host(dout), out));
}

void check_embedding_backward(Backend<float>& be, int n, int e, int v) {
  // Many repeats (a few hot ids, as START and END are in real batches) and
  // the last id, to hit the edges.
  auto ids = ints(n, 0, v - 1, 3);
  const auto hot = ints(n, 0, 4, 4);
  for (int r = 0; r < n; r += 2) ids[r] = hot[r];
  ids[n - 1] = v - 1;
  const auto dout = uniform(static_cast<std::size_t>(n) * e, -1, 1, 5);
  const auto dw0 = uniform(static_cast<std::size_t>(v) * e, -1, 1, 6);
  auto ref = dw0;
  cpu::embedding_backward(n, e, v, ids.data(), dout.data(), ref.data());

  auto dids = buffer_from(be, ids);
  auto ddout = buffer_from(be, dout);
  auto dw = buffer_from(be, dw0);
  be.embedding_backward(n, e, v, dids.data(), ddout.data(), dw.data());
  const auto first = to_host(dw);
  // The kernel adds each vocabulary row's contributions in row order, starting
  // from dweight: the very additions the CPU makes, hence exact equality.
  EXPECT_TRUE(bit_equal(first, ref));

  dw.upload(dw0.data(), dw0.size());
  be.embedding_backward(n, e, v, dids.data(), ddout.data(), dw.data());
  EXPECT_TRUE(bit_equal(to_host(dw), first)) << "second run differs from the first";
}

TEST_P(CudaOps, EmbeddingForward) {
  const Size s = GetParam();
  check_embedding_forward(gpu(), s.B * s.T, s.E, s.V);
}

TEST_P(CudaOps, EmbeddingBackwardMatchesBitForBitAndRepeats) {
  const Size s = GetParam();
  check_embedding_backward(gpu(), s.B * s.T, s.E, s.V);
}

// ---------------------------------------------------------------- element-wise

TEST_P(CudaOps, BiasRows) {
  const Size s = GetParam();
  const int rows = s.B * s.T, cols = 4 * s.H;
  const auto b1 = uniform(cols, -1, 1, 1), b2 = uniform(cols, -1, 1, 2);
  auto db1 = buffer_from(gpu(), b1);
  auto db2 = buffer_from(gpu(), b2);
  Buffer<float> dout(gpu(), static_cast<std::size_t>(rows) * cols);
  std::vector<float> ref(dout.size());
  for (bool with_b2 : {true, false}) {
    SCOPED_TRACE(with_b2 ? "b1 + b2" : "b1 only");
    cpu::bias_rows(rows, cols, b1.data(), with_b2 ? b2.data() : nullptr, ref.data());
    gpu().bias_rows(rows, cols, db1.data(), with_b2 ? db2.data() : nullptr, dout.data());
    EXPECT_TRUE(all_close(to_host(dout), ref, 0, 0));
  }
}

TEST_P(CudaOps, SumRows) {
  const Size s = GetParam();
  const int rows = s.B * s.T;
  for (int cols : {4 * s.H, s.V}) {
    const auto in = uniform(static_cast<std::size_t>(rows) * cols, -1, 1, cols);
    const auto out0 = uniform(cols, -1, 1, cols + 1);  // overwritten, not added to
    auto din = buffer_from(gpu(), in);
    SCOPED_TRACE(::testing::Message() << "cols " << cols);
    auto ref = out0;
    cpu::sum_rows(rows, cols, in.data(), ref.data());
    auto dout = buffer_from(gpu(), out0);
    gpu().sum_rows(rows, cols, din.data(), dout.data());
    const auto got = to_host(dout);
    // Float sums of `rows` terms in two different orders.
    EXPECT_TRUE(all_close(got, ref, 2e-6 * rows, 1e-5));
    gpu().sum_rows(rows, cols, din.data(), dout.data());
    EXPECT_TRUE(bit_equal(to_host(dout), got)) << "sum_rows is not deterministic";
  }
}

TEST_P(CudaOps, FillCopy) {
  const Size s = GetParam();
  const std::size_t n = static_cast<std::size_t>(s.B) * s.T * s.H + 3;
  auto x = uniform(n, -2, 2, 9);
  auto dx = buffer_from(gpu(), x);

  Buffer<float> dy(gpu(), n);
  gpu().copy(n, dx.data(), dy.data());
  EXPECT_TRUE(bit_equal(to_host(dy), x));

  gpu().fill(n - 1, 2.5f, dy.data());
  cpu::fill(n - 1, 2.5f, x.data());
  EXPECT_TRUE(bit_equal(to_host(dy), x));  // the last element keeps its value
}

// ---------------------------------------------------------------- LSTM cell

TEST_P(CudaOps, LstmCellForward) {
  const Size s = GetParam();
  const int b = s.B, h = s.H;
  const std::size_t bh = static_cast<std::size_t>(b) * h;
  const auto gates0 = uniform(4 * bh, -4, 4, 1);
  const auto cprev = uniform(bh, -2, 2, 2);
  // The CPU's vectorised sigmoid/tanh are within 3e-7 absolute, the GPU's
  // tanhf/expf within 2 ulp; through 1 - tanh^2 and a few products that
  // grows to ~1e-6 absolute.
  enum Mode { kNoPrev, kPrev, kAliased };
  for (Mode mode : {kNoPrev, kPrev, kAliased}) {
    SCOPED_TRACE(mode == kNoPrev ? "c_prev null" : mode == kPrev ? "c_prev given" : "c_prev aliases c");
    auto g_ref = gates0;
    std::vector<float> c_ref = mode == kAliased ? cprev : std::vector<float>(bh, 0.0f), h_ref(bh);
    cpu::lstm_cell_forward(b, h, g_ref.data(),
                           mode == kNoPrev ? nullptr
                           : mode == kPrev ? cprev.data()
                                           : c_ref.data(),
                           c_ref.data(), h_ref.data());

    auto dg = buffer_from(gpu(), gates0);
    auto dcp = buffer_from(gpu(), cprev);
    Buffer<float> dc(gpu(), bh), dh(gpu(), bh);
    if (mode == kAliased) dc.upload(cprev.data(), bh);
    const float* cp = mode == kNoPrev ? nullptr : mode == kPrev ? dcp.data() : dc.data();
    gpu().lstm_cell_forward(b, h, dg.data(), cp, dc.data(), dh.data());
    EXPECT_TRUE(all_close(to_host(dg), g_ref, 5e-6, 1e-5)) << "gates";
    EXPECT_TRUE(all_close(to_host(dc), c_ref, 5e-6, 1e-5)) << "c";
    EXPECT_TRUE(all_close(to_host(dh), h_ref, 5e-6, 1e-5)) << "h";
  }
}

TEST_P(CudaOps, LstmCellBackward) {
  const Size s = GetParam();
  const int b = s.B, h = s.H;
  const std::size_t bh = static_cast<std::size_t>(b) * h;
  // Activations as forward leaves them: sigmoids in (0, 1), tanh in (-1, 1).
  auto gates = uniform(4 * bh, 0.02f, 0.98f, 1);
  const auto tg = uniform(bh, -0.98f, 0.98f, 2);
  for (int r = 0; r < b; ++r) {
    for (int j = 0; j < h; ++j)
      gates[static_cast<std::size_t>(r) * 4 * h + 2 * h + j] = tg[static_cast<std::size_t>(r) * h + j];
  }
  const auto cprev = uniform(bh, -2, 2, 3), c = uniform(bh, -2, 2, 4);
  const auto dh = uniform(bh, -1, 1, 5), dhr = uniform(bh, -1, 1, 6), dc0 = uniform(bh, -1, 1, 7);
  auto dgates_d = buffer_from(gpu(), gates);
  auto dcprev = buffer_from(gpu(), cprev);
  auto dcd = buffer_from(gpu(), c);
  auto ddh = buffer_from(gpu(), dh);
  auto ddhr = buffer_from(gpu(), dhr);
  for (int mask = 0; mask < 8; ++mask) {
    const bool has_cp = mask & 1, has_dh = mask & 2, has_dhr = mask & 4;
    SCOPED_TRACE(::testing::Message() << "c_prev " << has_cp << " dh " << has_dh << " dh_rec " << has_dhr);
    auto dc_ref = dc0;
    std::vector<float> dg_ref(4 * bh);
    cpu::lstm_cell_backward(b, h, gates.data(), has_cp ? cprev.data() : nullptr, c.data(), has_dh ? dh.data() : nullptr,
                            has_dhr ? dhr.data() : nullptr, dc_ref.data(), dg_ref.data());
    auto ddc = buffer_from(gpu(), dc0);
    Buffer<float> ddg(gpu(), 4 * bh);
    gpu().lstm_cell_backward(b, h, dgates_d.data(), has_cp ? dcprev.data() : nullptr, dcd.data(),
                             has_dh ? ddh.data() : nullptr, has_dhr ? ddhr.data() : nullptr, ddc.data(), ddg.data());
    EXPECT_TRUE(all_close(to_host(ddc), dc_ref, 5e-6, 1e-5)) << "dc";
    EXPECT_TRUE(all_close(to_host(ddg), dg_ref, 5e-6, 1e-5)) << "dgates";
  }
}

// ---------------------------------------------------------------- softmax cross-entropy

// rows x v logits, a fifth of the rows padding, row 0 shifted by 90 (exp
// would overflow without the max shift), against the CPU in every mode.
void check_softmax_xent(Backend<float>& be, int rows, int v) {
  auto logits = uniform(static_cast<std::size_t>(rows) * v, -6, 6, 1);
  for (int j = 0; j < v; ++j) logits[j] += 90.0f;  // exp would overflow without the max shift
  auto targets = ints(rows, 0, v - 1, 2);
  const auto pad = ints(rows, 0, 4, 3);
  for (int r = 1; r < rows; ++r) {
    if (pad[r] == 0) targets[r] = -1;
  }
  targets[0] = v - 1;
  int valid = 0;
  for (int t : targets) valid += t >= 0;
  const float scale = 1.0f / static_cast<float>(valid);
  auto dlog = buffer_from(be, logits);
  auto dtg = buffer_from(be, targets);
  auto dscale = buffer_from(be, std::vector<float>{scale});
  Buffer<float> dloss(be, 1), drow(be, rows), dgrad(be, logits.size());

  float loss_ref = 0;
  std::vector<float> row_ref(rows), grad_ref(logits.size());
  cpu::softmax_xent(rows, v, logits.data(), targets.data(), scale, &loss_ref, row_ref.data(), grad_ref.data());
  // Both sides compute exp(x - max) / sum, with exps that differ in the last
  // bits and sums in different orders: a few ulps.
  const double grad_atol = 1e-6 * scale, grad_rtol = 1e-5;

  enum Mode { kLossOnly, kRowsAndGrad, kGradInPlace };
  for (Mode mode : {kLossOnly, kRowsAndGrad, kGradInPlace}) {
    SCOPED_TRACE(mode == kLossOnly ? "loss only" : mode == kRowsAndGrad ? "row_loss + dlogits" : "dlogits in place");
    if (mode == kGradInPlace) dlog.upload(logits.data(), logits.size());
    float* rl = mode == kRowsAndGrad ? drow.data() : nullptr;
    float* dl = mode == kLossOnly ? nullptr : mode == kRowsAndGrad ? dgrad.data() : dlog.data();
    be.softmax_xent(rows, v, dlog.data(), dtg.data(), dscale.data(), dloss.data(), rl, dl);
    const float loss = to_host(dloss)[0];
    EXPECT_NEAR(loss, loss_ref, 1e-5 * std::fabs(loss_ref));
    if (mode == kRowsAndGrad) {
      EXPECT_TRUE(all_close(to_host(drow), row_ref, 3e-5, 1e-5)) << "row_loss";
      EXPECT_TRUE(all_close(to_host(dgrad), grad_ref, grad_atol, grad_rtol)) << "dlogits";
    }
    if (mode == kGradInPlace)
      EXPECT_TRUE(all_close(to_host(dlog), grad_ref, grad_atol, grad_rtol)) << "dlogits in place";
  }

  // The total is reduced in a fixed order: the same bits every time.
  dlog.upload(logits.data(), logits.size());
  be.softmax_xent(rows, v, dlog.data(), dtg.data(), dscale.data(), dloss.data(), nullptr, nullptr);
  const float a = to_host(dloss)[0];
  be.softmax_xent(rows, v, dlog.data(), dtg.data(), dscale.data(), dloss.data(), nullptr, nullptr);
  const float b = to_host(dloss)[0];
  EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0) << a << " vs " << b;
}

TEST_P(CudaOps, SoftmaxXent) {
  const Size s = GetParam();
  check_softmax_xent(gpu(), s.B * s.T, s.V);
}

TEST_P(CudaOps, SoftmaxXentAllPadding) {
  const Size s = GetParam();
  const int rows = s.B, v = s.V;
  const auto logits = uniform(static_cast<std::size_t>(rows) * v, -1, 1, 1);
  const std::vector<int32_t> targets(rows, -1);
  auto dlog = buffer_from(gpu(), logits);
  auto dtg = buffer_from(gpu(), targets);
  Buffer<float> dloss(gpu(), 1), drow(gpu(), rows);
  auto one = buffer_from(gpu(), std::vector<float>{1.0f});
  gpu().softmax_xent(rows, v, dlog.data(), dtg.data(), one.data(), dloss.data(), drow.data(), dlog.data());
  EXPECT_EQ(to_host(dloss)[0], 0.0f);
  EXPECT_TRUE(bit_equal(to_host(drow), std::vector<float>(rows, 0.0f)));
  EXPECT_TRUE(bit_equal(to_host(dlog), std::vector<float>(logits.size(), 0.0f)));
}

// ---------------------------------------------------------------- dropout

TEST_P(CudaOps, DropoutMasksMatchTheCpuBitForBit) {
  const Size s = GetParam();
  const std::size_t n = static_cast<std::size_t>(s.B) * s.T * s.H + 7;
  const auto in = uniform(n, -1, 1, 1);
  auto din = buffer_from(gpu(), in);
  Buffer<float> dout(gpu(), n);
  for (double p : {0.0, 0.1, 0.5, 0.9}) {
    SCOPED_TRACE(::testing::Message() << "p " << p);
    const uint64_t seed = 0xDEADBEEFCAFEF00DULL, step = 123456789012ULL;
    auto dstep = buffer_from(gpu(), std::vector<uint64_t>{step});
    std::vector<float> ref(n);
    cpu::dropout(n, p, seed, 17u, step, in.data(), ref.data());
    gpu().dropout(n, p, seed, 17u, dstep.data(), din.data(), dout.data());
    EXPECT_TRUE(bit_equal(to_host(dout), ref));
    // In place, as backward runs it.
    auto dinplace = buffer_from(gpu(), in);
    gpu().dropout(n, p, seed, 17u, dstep.data(), dinplace.data(), dinplace.data());
    EXPECT_TRUE(bit_equal(to_host(dinplace), ref)) << "in place";
  }
}

// Locked dropout over time-major [T, B, H] activations (period B * H), and
// a period that does not divide n (a partial last step): the CPU's masks.
TEST_P(CudaOps, LockedDropoutMasksMatchTheCpuBitForBit) {
  const Size s = GetParam();
  const std::size_t period = static_cast<std::size_t>(s.B) * s.H;
  for (std::size_t n : {period * s.T, period * s.T + 5}) {
    const auto in = uniform(n, -1, 1, 2);
    auto din = buffer_from(gpu(), in);
    Buffer<float> dout(gpu(), n);
    for (double p : {0.0, 0.25, 0.6}) {
      SCOPED_TRACE(::testing::Message() << "n " << n << " p " << p);
      const uint64_t seed = 0x0123456789ABCDEFULL, step = 98765432109ULL;
      auto dstep = buffer_from(gpu(), std::vector<uint64_t>{step});
      std::vector<float> ref(n);
      cpu::locked_dropout(n, period, p, seed, 49u, step, in.data(), ref.data());
      gpu().locked_dropout(n, period, p, seed, 49u, dstep.data(), din.data(), dout.data());
      EXPECT_TRUE(bit_equal(to_host(dout), ref));
      auto dinplace = buffer_from(gpu(), in);
      gpu().locked_dropout(n, period, p, seed, 49u, dstep.data(), dinplace.data(), dinplace.data());
      EXPECT_TRUE(bit_equal(to_host(dinplace), ref)) << "in place";
    }
  }
}

TEST_P(CudaOps, EmbeddingDropoutMasksMatchTheCpuBitForBit) {
  const Size s = GetParam();
  const int n = s.T * s.B;
  const auto ids = ints(static_cast<std::size_t>(n), 0, s.V - 1, 3);
  const auto in = uniform(static_cast<std::size_t>(n) * s.E, -1, 1, 4);
  auto dids = buffer_from(gpu(), ids);
  auto din = buffer_from(gpu(), in);
  Buffer<float> dout(gpu(), in.size());
  for (double p : {0.0, 0.3, 0.8}) {
    SCOPED_TRACE(::testing::Message() << "p " << p);
    const uint64_t seed = 77, step = 5;
    auto dstep = buffer_from(gpu(), std::vector<uint64_t>{step});
    std::vector<float> ref(in.size());
    cpu::embedding_dropout(n, s.E, ids.data(), p, seed, 112u, step, in.data(), ref.data());
    gpu().embedding_dropout(n, s.E, dids.data(), p, seed, 112u, dstep.data(), din.data(), dout.data());
    EXPECT_TRUE(bit_equal(to_host(dout), ref));
    auto dinplace = buffer_from(gpu(), in);
    gpu().embedding_dropout(n, s.E, dids.data(), p, seed, 112u, dstep.data(), dinplace.data(), dinplace.data());
    EXPECT_TRUE(bit_equal(to_host(dinplace), ref)) << "in place";
  }
}

// ---------------------------------------------------------------- optimizer

void check_grad_norm(Backend<float>& be, std::size_t n) {
  SCOPED_TRACE(::testing::Message() << "n " << n);
  Buffer<float> dout(be, 1);
  const auto x = uniform(n, -1e-2f, 1e-2f, static_cast<uint32_t>(n));
  float ref = -1;
  cpu::grad_norm(n, x.data(), &ref);
  auto dx = buffer_from(be, x);
  be.grad_norm(n, dx.data(), dout.data());
  const float a = to_host(dout)[0];
  EXPECT_NEAR(a, ref, 1e-6 * ref);
  be.grad_norm(n, dx.data(), dout.data());
  const float b = to_host(dout)[0];
  EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0) << "not deterministic: " << a << " vs " << b;
}

TEST_P(CudaOps, GradNorm) {
  const Size s = GetParam();
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, static_cast<std::size_t>(4) * s.H * (s.H + s.E) + 13,
                        static_cast<std::size_t>(s.V) * s.H * 9 + 1}) {
    check_grad_norm(gpu(), n);
  }
}

TEST_P(CudaOps, AdamWStep) {
  const Size s = GetParam();
  const std::size_t n = static_cast<std::size_t>(4) * s.H * (s.H + s.E) + 11;
  const auto p0 = uniform(n, -0.5f, 0.5f, 1), g = uniform(n, -0.1f, 0.1f, 2), m0 = uniform(n, -0.01f, 0.01f, 3);
  const auto v0 = uniform(n, 0.0f, 1e-3f, 4);
  struct Case {
    double clip;
    float norm;
  };
  for (const Case c : {Case{0.0, 7.0f}, Case{1.0, 7.0f}, Case{1.0, 0.25f}}) {
    SCOPED_TRACE(::testing::Message() << "clip " << c.clip << " norm " << c.norm);
    AdamWArgs a;
    a.lr = 3e-3;
    a.weight_decay = 0.01;
    a.step = 7;
    a.clip = c.clip;
    auto p = p0, m = m0, v = v0;
    const auto scalars = AdamWScalars<float>::from(a);
    cpu::adamw_step(n, p.data(), g.data(), m.data(), v.data(), &c.norm, scalars);
    auto dp = buffer_from(gpu(), p0), dm = buffer_from(gpu(), m0), dv = buffer_from(gpu(), v0);
    auto dg = buffer_from(gpu(), g);
    auto dnorm = buffer_from(gpu(), std::vector<float>{c.norm});
    auto dscalars = buffer_from(gpu(), std::vector<AdamWScalars<float>>{scalars});
    gpu().adamw_step(n, dp.data(), dg.data(), dm.data(), dv.data(), dnorm.data(), dscalars.data(), nullptr);
    // The kernel rounds every product and sum on its own; the CPU's AVX2 and
    // AVX-512 builds fuse some into FMAs. That is a last-bit difference in
    // each term, which b1 * m + (1 - b1) * g can cancel down to: hence
    // absolute floors at about an ulp of the terms (m ~ 1e-2, p ~ 0.5).
    EXPECT_TRUE(all_close(to_host(dp), p, 1e-7, 1e-6)) << "param";
    EXPECT_TRUE(all_close(to_host(dm), m, 2e-9, 1e-6)) << "m";
    EXPECT_TRUE(all_close(to_host(dv), v, 1e-12, 1e-6)) << "v";
  }
}

// --base-rows-lr: the marked elements take the second learning rate's
// scalars, on the GPU as on the CPU; the unmarked step as without a mask.
TEST_P(CudaOps, AdamWStepWithBaseRows) {
  const Size s = GetParam();
  const std::size_t n = static_cast<std::size_t>(4) * s.H * (s.H + s.E) + 11;
  const auto p0 = uniform(n, -0.5f, 0.5f, 1), g = uniform(n, -0.1f, 0.1f, 2), m0 = uniform(n, -0.01f, 0.01f, 3);
  const auto v0 = uniform(n, 0.0f, 1e-3f, 4);
  std::vector<uint8_t> base(n);
  for (std::size_t i = 0; i < n; ++i) base[i] = (i / 7) % 3 != 0;  // runs of marked and unmarked
  AdamWArgs a;
  a.lr = 3e-3;
  a.weight_decay = 0.01;
  a.step = 7;
  a.clip = 1.0;
  a.marked_rows_lr = 0.25;
  const float norm = 7.0f;
  auto p = p0, m = m0, v = v0;
  const auto scalars = AdamWScalars<float>::from(a);
  cpu::adamw_step(n, p.data(), g.data(), m.data(), v.data(), &norm, scalars, base.data());
  auto dp = buffer_from(gpu(), p0), dm = buffer_from(gpu(), m0), dv = buffer_from(gpu(), v0);
  auto dg = buffer_from(gpu(), g);
  auto dnorm = buffer_from(gpu(), std::vector<float>{norm});
  auto dscalars = buffer_from(gpu(), std::vector<AdamWScalars<float>>{scalars});
  auto dbase = buffer_from(gpu(), base);
  gpu().adamw_step(n, dp.data(), dg.data(), dm.data(), dv.data(), dnorm.data(), dscalars.data(), dbase.data());
  EXPECT_TRUE(all_close(to_host(dp), p, 1e-7, 1e-6)) << "param";  // tolerances: AdamWStep's
  EXPECT_TRUE(all_close(to_host(dm), m, 2e-9, 1e-6)) << "m";
  // And the marked elements did move less than at the full rate would have.
  auto full = p0, fm = m0, fv = v0;
  cpu::adamw_step(n, full.data(), g.data(), fm.data(), fv.data(), &norm, scalars);
  double moved = 0, moved_full = 0;
  const auto gp = to_host(dp);
  for (std::size_t i = 0; i < n; ++i) {
    if (!base[i]) continue;
    moved += std::abs(gp[i] - p0[i]);
    moved_full += std::abs(full[i] - p0[i]);
  }
  EXPECT_LT(moved, 0.5 * moved_full);
}

TEST_P(CudaOps, Axpby) {
  const Size s = GetParam();
  const std::size_t n = static_cast<std::size_t>(4) * s.H * (s.H + s.E) + 11;
  const auto x = uniform(n, -0.5f, 0.5f, 5), y0 = uniform(n, -0.5f, 0.5f, 6);
  for (const std::vector<float>& ab :
       {std::vector<float>{0.001f, 0.999f}, std::vector<float>{0.25f, 0.75f}, std::vector<float>{0.0f, 1.0f}}) {
    SCOPED_TRACE(::testing::Message() << "a " << ab[0] << " b " << ab[1]);
    auto y = y0;
    cpu::axpby(n, x.data(), y.data(), ab.data());
    auto dx = buffer_from(gpu(), x), dy = buffer_from(gpu(), y0), dab = buffer_from(gpu(), ab);
    gpu().axpby(n, dx.data(), dy.data(), dab.data());
    // The kernel rounds the two products and the sum on their own; an FMA
    // build of the CPU's loop differs from it by an ulp of the terms.
    EXPECT_TRUE(all_close(to_host(dy), y, 1e-7, 1e-6));
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, CudaOps, ::testing::Values(kSmall, kTypical), size_name);

// ---------------------------------------------------------------- whole model

class CudaModel : public ::testing::TestWithParam<Size> {
 protected:
  void SetUp() override {
    std::string why;
    if (!have_gpu(&why)) GTEST_SKIP() << "no usable CUDA device: " << why;
    gpu_ = cuda::make_backend();
  }
  std::unique_ptr<Backend<float>> gpu_;
  cpu::CpuBackend<float> cpu_;
};

// A padded batch: lengths 1..T (one of each extreme), random tokens.
Batch random_batch(const Size& s, uint32_t seed) {
  Batch b;
  b.T = s.T;
  b.B = s.B;
  const auto len = ints(s.B, 1, s.T, seed);
  const auto tok = ints(static_cast<std::size_t>(s.T) * s.B, 0, s.V - 1, seed + 1);
  const auto tgt = ints(static_cast<std::size_t>(s.T) * s.B, 0, s.V - 1, seed + 2);
  b.tokens.assign(static_cast<std::size_t>(s.T) * s.B, 0);
  b.targets.assign(b.tokens.size(), -1);
  b.lengths = len;
  b.lengths[0] = s.T;
  if (s.B > 1) b.lengths[1] = 1;
  for (int j = 0; j < s.B; ++j) {
    for (int t = 0; t < b.lengths[j]; ++t) {
      const std::size_t k = static_cast<std::size_t>(t) * s.B + j;
      b.tokens[k] = tok[k];
      b.targets[k] = tgt[k];
    }
    b.num_targets += b.lengths[j];
  }
  return b;
}

ModelConfig config_for(const Size& s) {
  ModelConfig c;
  c.vocab = s.V;
  c.embed = s.E;
  c.hidden = s.H;
  c.layers = 2;
  c.dropout = 0.25;
  return c;
}

// The rule `wuxia verify` applies to whole-model tensors (docs/COMMANDS.md, "bench and
// verify"): each tensor against its own largest |cpu|, since gradients have
// entries that cancel to ~0, whose element-relative error means nothing.
const Tolerance kModelTol{1e-6, 1e-3, Tolerance::Scale::Tensor};
// Both sides in BF16 (--precision bf16): compare.hpp's kBf16ModelRtol says
// why it is wider, and docs/DESIGN.md "Backends" what it rests on.
const Tolerance kBf16ModelTol{1e-5, kBf16ModelRtol, Tolerance::Scale::Tensor};

// A scalar (a loss, a norm) as a one-element tensor under the same rule.
::testing::AssertionResult scalar_within(double got, double ref, const Tolerance& tol = kModelTol) {
  const Diff d = compare(std::vector<double>{got}, std::vector<double>{ref}, tol);
  if (d.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << d.describe();
}

// One training step (forward, backward, AdamW) of `cfg` on `batch` on both
// backends, from the same parameters and mid-training moments; every tensor
// compared under kModelTol.
// `regularisers` gives issue 29's drop probabilities (its other fields are
// set here).
// `precision`: both models' (the CPU's BF16 is the reference's emulation),
// compared under kBf16ModelTol when BF16.
void expect_training_step_matches(Backend<float>& gpu, const ModelConfig& cfg, const Batch& batch,
                                  StepOptions so = {}, Precision precision = Precision::kFp32) {
  cpu::CpuBackend<float> cpu;
  Model<float> cm(cpu, cfg), gm(gpu, cfg);
  cm.set_precision(precision);
  gm.set_precision(precision);
  const auto init = init_params(cfg, 7);
  cm.set_params(init);
  gm.set_params(init);
  // Mid-training moments: with v well above the gradient noise, an update is
  // a smooth function of the gradient, so rounding-level gradient differences
  // stay rounding-level in the parameters (at step 1 with v = 0 an update is
  // lr * sign(g), which flips on gradients that are ~0 up to rounding).
  const std::vector<float> m0(cm.layout().total(), 0.0f), v0(cm.layout().total(), 1e-4f);
  for (auto* mdl : {&cm, &gm}) {
    mdl->set_moment(0, m0);
    mdl->set_moment(1, v0);
  }
  so.train = true;
  so.backward = false;
  so.seed = 99;
  so.step = 3;
  AdamWArgs a;
  a.lr = 1e-2;
  a.weight_decay = 0.01;
  a.clip = 1.0;
  a.step = 5;
  // The comparison verify prints (aligned: the GPU's optimizer steps on the
  // CPU's gradients, after the GPU's own are compared), moments included.
  StepCompareOptions opts;
  opts.moments = true;
  const StepComparison c = compare_training_step(cm, gm, batch, so, a,
                                                 precision == Precision::kBf16 ? kBf16ModelTol : kModelTol, opts);
  for (const auto& f : c.figures) EXPECT_TRUE(f.diff.ok()) << f.what << ": " << f.diff.describe();
  EXPECT_EQ(c.loss_other, c.loss_other_first) << "the same dropout masks on a second forward";
  EXPECT_GT(c.figures.size(), 2 + 3 * cm.layout().entries().size()) << "every tensor compared";
}

TEST_P(CudaModel, TrainingStepMatchesTheCpu) {
  const Size s = GetParam();
  expect_training_step_matches(*gpu_, config_for(s), random_batch(s, 11));
}

// With --weight-drop, --locked-dropout and --embed-dropout on (issue 29),
// beside --dropout: the masks are the CPU's, so the step is the CPU's.
TEST_P(CudaModel, TrainingStepWithTheRegularisersMatchesTheCpu) {
  const Size s = GetParam();
  StepOptions so;
  so.weight_drop = 0.3;
  so.locked_dropout = 0.2;
  so.embed_dropout = 0.15;
  expect_training_step_matches(*gpu_, config_for(s), random_batch(s, 12), so);
}

// --precision bf16 on both: the GPU's BF16 step (cast kernels, cublasGemmEx)
// against the CPU's emulation of it, with and without the regularisers.
TEST_P(CudaModel, Bf16TrainingStepMatchesTheCpuBf16) {
  const Size s = GetParam();
  expect_training_step_matches(*gpu_, config_for(s), random_batch(s, 11), {}, Precision::kBf16);
  StepOptions so;
  so.weight_drop = 0.3;
  so.locked_dropout = 0.2;
  so.embed_dropout = 0.15;
  expect_training_step_matches(*gpu_, config_for(s), random_batch(s, 12), so, Precision::kBf16);
}

TEST_P(CudaModel, StepIsDeterministic) {
  const Size s = GetParam();
  const ModelConfig cfg = config_for(s);
  const Batch batch = random_batch(s, 21);
  StepOptions so;
  so.train = true;
  so.backward = true;
  so.seed = 5;
  so.step = 1;
  std::vector<float> grads[2];
  double nll[2];
  for (int run = 0; run < 2; ++run) {
    Model<float> gm(*gpu_, cfg);
    gm.set_params(init_params(cfg, 3));
    nll[run] = gm.forward(batch, so);
    grads[run] = gm.get_grads();
  }
  EXPECT_EQ(nll[0], nll[1]);
  EXPECT_TRUE(bit_equal(grads[0], grads[1]));
}

TEST_P(CudaModel, InferenceStepsMatchTheCpu) {
  const Size s = GetParam();
  const ModelConfig cfg = config_for(s);
  Model<float> cm(cpu_, cfg), gm(*gpu_, cfg);
  const auto init = init_params(cfg, 13);
  cm.set_params(init);
  gm.set_params(init);
  cm.begin_inference(s.B);
  gm.begin_inference(s.B);
  for (int t = 0; t < 4; ++t) {
    SCOPED_TRACE(::testing::Message() << "step " << t);
    const auto tokens = ints(s.B, 0, s.V - 1, 100 + t);
    const auto lc = cm.infer_step(tokens);
    const auto lg = gm.infer_step(tokens);
    EXPECT_TRUE(within(lg, lc, kModelTol));
  }
}

void set_same_params(const ModelConfig& cfg, uint64_t seed, Model<float>& a, Model<float>& b) {
  const auto init = init_params(cfg, seed);
  a.set_params(init);
  b.set_params(init);
}

// The recorded (CUDA Graph) training step against the same ops issued one by
// one on the same GPU: the same kernels on the same data, so the same bits.
// Batches of two shapes alternate, so each recording is replayed with other
// tokens, another dropout step and other AdamW scalars than it was recorded
// with: a value baked into a recording shows as a difference here.
TEST_P(CudaModel, RecordedStepsReplayWithEachStepsValues) {
  const Size s = GetParam();
  const ModelConfig cfg = config_for(s);
  Model<float> direct(*gpu_, cfg), recorded(*gpu_, cfg);
  set_same_params(cfg, 17, direct, recorded);
  Size other = s;
  other.T = s.T + 2;
  std::vector<double> nll, norms;
  for (int step = 1; step <= 6; ++step) {
    const Batch batch = random_batch(step % 2 ? s : other, 40 + step);
    StepOptions so;
    so.train = true;
    so.backward = true;
    so.seed = 5;
    so.step = static_cast<uint64_t>(step);
    AdamWArgs a;
    a.lr = 1e-3 * step;
    a.weight_decay = 0.01;
    a.clip = 1.0;
    a.step = step;
    nll.push_back(direct.forward(batch, so));
    direct.optimizer_step(a);
    norms.push_back(direct.last_grad_norm());
    recorded.train_step(batch, so, a);
  }
  EXPECT_EQ(recorded.recorded_steps(), 2u) << "one recording per batch shape";
  const auto log = recorded.take_step_log();
  ASSERT_EQ(log.size(), nll.size());
  for (std::size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(log[i].nll, static_cast<double>(static_cast<float>(nll[i]))) << "step " << i + 1;
    EXPECT_EQ(log[i].grad_norm, norms[i]) << "step " << i + 1;
  }
  EXPECT_TRUE(bit_equal(recorded.get_params(), direct.get_params())) << "parameters";
  EXPECT_TRUE(bit_equal(recorded.get_moment(0), direct.get_moment(0))) << "first moment";
  EXPECT_TRUE(bit_equal(recorded.get_moment(1), direct.get_moment(1))) << "second moment";
}

// The same with --l2sp's pull, --ema's average and --base-rows-lr on (issue
// 23): their weights change every step (the learning rate, the decay's
// warm-up, the base rows' rate), so a
// recording must read them from the step's scalars, not keep the first's.
TEST_P(CudaModel, RecordedStepsWithTheLeversReplayEachStepsWeights) {
  const Size s = GetParam();
  const ModelConfig cfg = config_for(s);
  Model<float> direct(*gpu_, cfg), recorded(*gpu_, cfg);
  set_same_params(cfg, 23, direct, recorded);
  const auto anchor = init_params(cfg, 24);
  std::vector<uint8_t> base_tokens(static_cast<std::size_t>(cfg.vocab));
  for (std::size_t t = 0; t < base_tokens.size(); ++t) base_tokens[t] = t % 4 != 3;  // --base-rows-lr's rows
  for (auto* m : {&direct, &recorded}) {
    m->set_anchor(anchor);
    m->set_average(anchor);
    m->set_marked_rows(base_tokens);
  }
  for (int step = 1; step <= 4; ++step) {
    const Batch batch = random_batch(s, 80 + step);
    StepOptions so;
    so.backward = true;
    AdamWArgs a;
    a.lr = 1e-3 * step;
    a.weight_decay = 0;
    a.l2sp = 2.0 * step;
    a.ema_decay = 0.5 + 0.1 * step;
    a.marked_rows_lr = 0.2 * step;
    a.step = step;
    direct.forward(batch, so);
    direct.optimizer_step(a);
    recorded.train_step(batch, so, a);
  }
  recorded.take_step_log();
  EXPECT_EQ(recorded.recorded_steps(), 1u);
  EXPECT_TRUE(bit_equal(recorded.get_params(), direct.get_params())) << "parameters";
  EXPECT_TRUE(bit_equal(recorded.get_average(), direct.get_average())) << "average";
  EXPECT_FALSE(bit_equal(direct.get_average(), direct.get_params())) << "the average lags the parameters";
}

// Issue 29's regularisers in a recorded step: each step's masks come from
// the step in backend memory, so a replay must draw this step's, not the
// recording's. Without --dropout, so locked dropout's buffers are made on
// the first step.
TEST_P(CudaModel, RecordedStepsWithTheRegularisersReplayEachStepsMasks) {
  const Size s = GetParam();
  ModelConfig cfg = config_for(s);
  cfg.dropout = 0;
  Model<float> direct(*gpu_, cfg), recorded(*gpu_, cfg);
  set_same_params(cfg, 29, direct, recorded);
  for (int step = 1; step <= 4; ++step) {
    const Batch batch = random_batch(s, 90 + step);
    StepOptions so;
    so.train = true;
    so.backward = true;
    so.seed = 8;
    so.step = static_cast<uint64_t>(step);
    so.weight_drop = 0.3;
    so.locked_dropout = 0.25;
    so.embed_dropout = 0.2;
    AdamWArgs a;
    a.lr = 1e-3 * step;
    a.step = step;
    direct.forward(batch, so);
    direct.optimizer_step(a);
    recorded.train_step(batch, so, a);
  }
  recorded.take_step_log();
  EXPECT_EQ(recorded.recorded_steps(), 1u);
  EXPECT_TRUE(bit_equal(recorded.get_params(), direct.get_params())) << "parameters";
  EXPECT_TRUE(bit_equal(recorded.get_moment(1), direct.get_moment(1))) << "second moment";
}

// The recorded BF16 step (a CUDA Graph holding the casts) against the same
// ops issued one by one, over two alternating shapes: the same bits, and
// each replay rounds that step's weights, not the recorded step's.
TEST_P(CudaModel, Bf16RecordedStepsReplayBitForBit) {
  const Size s = GetParam();
  const ModelConfig cfg = config_for(s);
  Model<float> direct(*gpu_, cfg), recorded(*gpu_, cfg);
  direct.set_precision(Precision::kBf16);
  recorded.set_precision(Precision::kBf16);
  set_same_params(cfg, 19, direct, recorded);
  Size other = s;
  other.T = s.T + 2;
  for (int step = 1; step <= 4; ++step) {
    const Batch batch = random_batch(step % 2 ? s : other, 60 + step);
    StepOptions so;
    so.train = true;
    so.backward = true;
    so.seed = 5;
    so.step = static_cast<uint64_t>(step);
    so.weight_drop = 0.2;
    AdamWArgs a;
    a.lr = 1e-3 * step;
    a.weight_decay = 0.01;
    a.clip = 1.0;
    a.step = step;
    direct.forward(batch, so);
    direct.optimizer_step(a);
    recorded.train_step(batch, so, a);
  }
  EXPECT_EQ(recorded.recorded_steps(), 2u);
  EXPECT_TRUE(bit_equal(recorded.get_params(), direct.get_params())) << "parameters";
  EXPECT_TRUE(bit_equal(recorded.get_moment(1), direct.get_moment(1))) << "second moment";
}

// A larger batch than any before moves the workspace; the recordings, which
// hold its old addresses, must go with it rather than replay into freed memory.
TEST_P(CudaModel, GrowingTheWorkspaceDropsStaleRecordings) {
  const Size s = GetParam();
  const ModelConfig cfg = config_for(s);
  Model<float> direct(*gpu_, cfg), recorded(*gpu_, cfg);
  set_same_params(cfg, 19, direct, recorded);
  Size big = s;
  big.B = s.B + 5;
  int step = 0;
  for (const Size& shape : {s, big, s}) {
    ++step;
    const Batch batch = random_batch(shape, 60 + step);
    StepOptions so;
    so.backward = true;
    AdamWArgs a;
    a.step = step;
    direct.forward(batch, so);
    direct.optimizer_step(a);
    recorded.train_step(batch, so, a);
  }
  recorded.take_step_log();
  EXPECT_EQ(recorded.recorded_steps(), 2u) << "the first shape recorded again after the move";
  EXPECT_TRUE(bit_equal(recorded.get_params(), direct.get_params()));
}

INSTANTIATE_TEST_SUITE_P(Sizes, CudaModel, ::testing::Values(kSmall, kTypical), size_name);

// ---------------------------------------------------------------- one shape each
// Tests outside the size-parameterised suites: NaN inputs, the edges of the
// kernels' tilings and reductions, the upload ring. All in suite CudaBackend,
// which the emulator's default filter (*Small*:CudaBackend.*) runs.

class CudaBackend : public WithGpu<::testing::Test> {};

// Recording is for enqueuing ops only; anything else in it is a bug the
// backend names, and the backend stays usable afterwards.
TEST_F(CudaBackend, RecordingRejectsCopiesToTheHostAndStaysUsable) {
  Backend<float>* gpu = gpu_.get();
  Buffer<float> x(*gpu, 4);
  float host[4] = {1, 2, 3, 4};
  try {
    gpu->record([&] { x.download(host, 4); });
    ADD_FAILURE() << "a download inside a recording went through";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("while recording"), std::string::npos) << e.what();
  }
  x.upload(host, 4);
  Buffer<float> y(*gpu, 4);
  gpu->copy(4, x.data(), y.data());
  EXPECT_EQ(to_host(y), (std::vector<float>{1, 2, 3, 4}));
}

TEST_F(CudaBackend, PeakAllocatedCountsLiveBuffers) {
  auto gpu = cuda::make_backend();  // its own: nothing else allocated on it
  const std::size_t base = gpu->peak_allocated();
  { Buffer<float> a(*gpu, 1 << 20); }
  Buffer<float> b(*gpu, 1 << 18);
  EXPECT_EQ(gpu->peak_allocated(), base + (4u << 20)) << "the high-water mark, not what is live now";
}

// A NaN logit in a valid row makes that row's loss, its d-logits and the
// summed loss NaN on the CPU; the GPU must say the same, not drop the NaN in
// its max/sum merge and report a finite loss. Rows without NaN are unaffected
// and padding stays zero. V = 101 (every thread one column at most) and
// V = 5495 (a real vocabulary: many columns per thread).
TEST_F(CudaBackend, SoftmaxXentNaNLogitsGiveNaNAsOnTheCpu) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // Many NaN rows, then a single NaN: the summed loss must be NaN by that
  // one alone (a whole-NaN row came out NaN even before the fix).
  struct Case {
    int v;
    bool single;
  };
  for (const Case c : {Case{101, false}, Case{101, true}, Case{5495, false}, Case{5495, true}}) {
    const int v = c.v;
    const bool single = c.single;
    SCOPED_TRACE(::testing::Message() << "V " << v << (single ? ", one NaN" : ", NaN rows"));
    const int rows = 9;
    auto logits = uniform(static_cast<std::size_t>(rows) * v, -6, 6, 7);
    auto targets = ints(rows, 0, v - 1, 8);
    auto at = [&](int r, int j) -> float& { return logits[static_cast<std::size_t>(r) * v + j]; };
    std::vector<bool> nan_row(rows, false);
    // Where the NaNs (and an infinity) are: each at another thread and place
    // in its strided slice, and in the merge tree.
    at(1, 0) = nan;  // thread 0's first column
    nan_row[1] = true;
    if (!single) {
      at(2, targets[2]) = nan;                                // the target's logit
      at(3, v - 1) = nan;                                     // the last column
      for (int j = 0; j < v; ++j) at(4, j) = nan;             // the whole row
      at(5, v / 2) = nan;                                     // mid-row (V = 5495: a thread's later column)
      at(7, v - 2) = std::numeric_limits<float>::infinity();  // an overflowed logit: exp(inf - inf)
      for (int r : {2, 3, 4, 5, 7}) nan_row[r] = true;
    }
    targets[6] = -1;  // padding: no loss, zero gradient, NaN or not
    at(6, 3) = nan;

    const float scale = 0.125f;
    float loss_ref = 0;
    std::vector<float> row_ref(rows), grad_ref(logits.size());
    cpu::softmax_xent(rows, v, logits.data(), targets.data(), scale, &loss_ref, row_ref.data(), grad_ref.data());
    ASSERT_TRUE(std::isnan(loss_ref)) << "the reference itself";
    for (int r = 0; r < rows; ++r) ASSERT_EQ(std::isnan(row_ref[r]), nan_row[r]) << "reference row " << r;

    auto dlog = buffer_from(gpu(), logits);
    auto dtg = buffer_from(gpu(), targets);
    auto dscale = buffer_from(gpu(), std::vector<float>{scale});
    Buffer<float> dloss(gpu(), 1), drow(gpu(), rows), dgrad(gpu(), logits.size());
    // Loss only (evaluation's path), then everything.
    gpu().softmax_xent(rows, v, dlog.data(), dtg.data(), dscale.data(), dloss.data(), nullptr, nullptr);
    EXPECT_TRUE(std::isnan(to_host(dloss)[0])) << "loss only: " << to_host(dloss)[0];
    gpu().softmax_xent(rows, v, dlog.data(), dtg.data(), dscale.data(), dloss.data(), drow.data(), dgrad.data());
    EXPECT_TRUE(std::isnan(to_host(dloss)[0])) << "summed loss: " << to_host(dloss)[0];
    const auto row = to_host(drow), grad = to_host(dgrad);
    for (int r = 0; r < rows; ++r) {
      SCOPED_TRACE(::testing::Message() << "row " << r);
      EXPECT_EQ(std::isnan(row[r]), nan_row[r]) << "row loss " << row[r] << ", cpu " << row_ref[r];
      const auto from = grad.begin() + static_cast<std::ptrdiff_t>(r) * v;
      const auto from_ref = grad_ref.begin() + static_cast<std::ptrdiff_t>(r) * v;
      // NaN matches NaN: a NaN row must be NaN in every column on both sides.
      EXPECT_TRUE(
          all_close(std::vector<float>(from, from + v), std::vector<float>(from_ref, from_ref + v), 1e-6 * scale, 1e-5))
          << "dlogits";
    }
    EXPECT_TRUE(all_close(row, row_ref, 3e-5, 1e-5)) << "row losses";
  }
}

// ---------------------------------------------------------------- edges of the tilings
// Shapes past the kernels' fixed sizes, which the Small and Typical sizes stay
// inside: softmax_xent's kMaxPartials = 1024 blocks and 256 threads a block,
// grad_norm's 1024-block cap, the embedding gradient's tiles of kCols = 128
// ids and 128 columns.

// 1025 rows: 2 rows a block, the last block with one; V = 300: some threads
// own two columns of a row, most one.
TEST_F(CudaBackend, SoftmaxXentMoreRowsThanPartialsAndWiderThanABlock) { check_softmax_xent(gpu(), 1025, 300); }

// More elements than 1024 blocks of 8 elements a thread: the grid is capped
// and every thread loops.
TEST_F(CudaBackend, GradNormMoreBlocksThanPartials) { check_grad_norm(gpu(), std::size_t{1024} * 256 * 8 + 12345); }

// 300 ids: three tiles of the id scan, the last part-filled; E = 130: a
// second column slice with two of its 128 threads in range.
TEST_F(CudaBackend, EmbeddingWiderThanATileWithMoreIdsThanATile) {
  check_embedding_forward(gpu(), 300, 130, 40);
  check_embedding_backward(gpu(), 300, 130, 40);
}

// The whole model at those edges at once: E = 130, V = 300, 65 x 16 = 1040 rows.
TEST_F(CudaBackend, TrainingStepAtTheTilingEdgesMatchesTheCpu) {
  const Size s{"edges", 65, 20, 300, 130, 16};
  expect_training_step_matches(gpu(), config_for(s), random_batch(s, 41));
}

// ---------------------------------------------------------------- uploads
// upload() stages through a ring of 32 pinned slots of 512 KiB; larger
// uploads take several slots, one larger than the ring (16 MiB) streams
// through it. Never from pageable memory, whatever the size.
constexpr std::size_t kSlotFloats = (512u << 10) / sizeof(float);
constexpr std::size_t kRingFloats = 32 * kSlotFloats;

TEST_F(CudaBackend, UploadsLargerThanAStagingSlotArriveIntact) {
  // 3 MB: six slots and a part; then more than the whole ring, so the upload
  // refills slots whose copies it issued itself; then at an offset.
  for (const std::size_t n : {std::size_t{750'001}, kRingFloats + kSlotFloats / 3}) {
    SCOPED_TRACE(::testing::Message() << n * sizeof(float) << " bytes");
    const auto a = uniform(n, -1, 1, static_cast<uint32_t>(n)), b = uniform(n, -1, 1, static_cast<uint32_t>(n) + 1);
    Buffer<float> da(gpu(), n), db(gpu(), n + 7);
    da.upload(a.data(), n);
    db.upload(b.data(), n, 7);
    db.upload(a.data(), 7);  // the 7 in front, after the large one
    EXPECT_TRUE(bit_equal(to_host(da), a));
    auto want = b;
    want.insert(want.begin(), a.begin(), a.begin() + 7);
    EXPECT_TRUE(bit_equal(to_host(db), want));
  }
}

// Many more uploads than the ring has slots, with no host wait in between:
// each must still arrive as it was when upload() returned, although the ring
// reuses every slot several times (the wait for a slot's last copy before
// refilling it is what this tests). Sizes from a few bytes to several slots.
TEST_F(CudaBackend, ManyUploadsWithoutAHostWaitArriveIntact) {
  const int count = 100;
  std::vector<std::vector<float>> host;
  std::vector<Buffer<float>> dev;
  for (int i = 0; i < count; ++i) {
    const std::size_t n = i % 10 == 0 ? 2 * kSlotFloats + 5 : 1 + static_cast<std::size_t>(i) * 37;
    host.push_back(uniform(n, -1, 1, 1000 + i));
    dev.emplace_back(gpu(), n);  // all allocated first: deallocate() would wait
  }
  std::vector<float> scratch;
  for (int i = 0; i < count; ++i) {
    scratch = host[i];
    dev[i].upload(scratch.data(), scratch.size());
    std::fill(scratch.begin(), scratch.end(), -7.0f);  // upload() said the source may be reused
  }
  for (int i = 0; i < count; ++i) EXPECT_TRUE(bit_equal(to_host(dev[i]), host[i])) << "upload " << i;
}

// A model that trains on a batch whose tokens and targets (one upload of
// 2 * T * B int32) take more than a staging slot.
TEST_F(CudaBackend, TrainingStepOnABatchLargerThanAStagingSlotMatchesTheCpu) {
  const Size s{"wide", 1025, 4, 11, 3, 64};  // 2 * 65600 int32: 512.5 KiB
  // All but a few names one token long: the upload keeps its size, while the
  // padded rows cost the emulator next to nothing in softmax_xent.
  Batch batch = random_batch(s, 31);
  batch.num_targets = 0;
  for (int j = 0; j < s.B; ++j) {
    if (j % 64 != 0) batch.lengths[j] = 1;
    for (int t = batch.lengths[j]; t < s.T; ++t) {
      batch.tokens[static_cast<std::size_t>(t) * s.B + j] = 0;
      batch.targets[static_cast<std::size_t>(t) * s.B + j] = -1;
    }
    batch.num_targets += batch.lengths[j];
  }
  ASSERT_GT(2 * batch.tokens.size() * sizeof(int32_t), std::size_t{512} << 10);
  ModelConfig cfg;
  cfg.vocab = s.V;
  cfg.embed = s.E;
  cfg.hidden = s.H;
  cfg.layers = 1;
  cfg.dropout = 0.25;
  expect_training_step_matches(gpu(), cfg, batch);
}

// 100 recorded training steps with no host wait until the end: 200 uploads
// (each step's tokens and targets, and its scalars) through the 32-slot ring,
// so every slot is refilled while the GPU may not have read it yet. Against
// the CPU doing the same steps; each step has other tokens, another dropout
// step and another learning rate, so a slot overwritten too early shows.
TEST_F(CudaBackend, HundredStepsWithoutAHostWaitMatchTheCpu) {
  const Size s{"ring", 3, 8, 13, 5, 4};
  ModelConfig cfg = config_for(s);
  cfg.layers = 1;
  cpu::CpuBackend<float> cpu;
  Model<float> cm(cpu, cfg), gm(gpu(), cfg);
  set_same_params(cfg, 23, cm, gm);
  const int steps = 100;
  for (int step = 1; step <= steps; ++step) {
    const Batch batch = random_batch(s, 300 + step);
    StepOptions so;
    so.train = true;
    so.seed = 9;
    so.step = static_cast<uint64_t>(step);
    AdamWArgs a;
    a.lr = 1e-3 * (1 + step % 7);
    a.weight_decay = 0.01;
    a.clip = 1.0;
    a.step = step;
    cm.train_step(batch, so, a);
    gm.train_step(batch, so, a);
  }
  const auto lc = cm.take_step_log(), lg = gm.take_step_log();
  ASSERT_EQ(lg.size(), static_cast<std::size_t>(steps));
  ASSERT_EQ(lc.size(), lg.size());
  // Free-running: each side trains on its own parameters, so rounding
  // differences compound over the steps; verify --free-run's rtol.
  const Tolerance free_run{1e-6, 1e-2, Tolerance::Scale::Tensor};
  for (int i = 0; i < steps; ++i) {
    EXPECT_TRUE(scalar_within(lg[i].nll, lc[i].nll, free_run)) << "loss of step " << i + 1;
    EXPECT_TRUE(scalar_within(lg[i].grad_norm, lc[i].grad_norm, free_run)) << "gradient norm of step " << i + 1;
  }
  const auto pg = gm.get_params(), pc = cm.get_params();
  for (const auto& e : cm.layout().entries()) {
    const Diff d = compare(pg.data() + e.offset, pc.data() + e.offset, e.size, free_run);
    EXPECT_TRUE(d.ok()) << e.name << " after " << steps << " steps: " << d.describe();
  }
}

// ---------------------------------------------------------------- fused recurrence
// Issue 30: the whole recurrence of a layer in one launch per direction
// (kernels/lstm_recurrence.cu) against the CPU's op of the same name, the
// step loop. The shapes cover each kernel layout: one row per block and
// several (rows per thread 1, 2, 4; several row groups, a last block only
// partly filled: B = 300, 700 over 132 SMs), hidden sizes off every multiple
// (1, 33, 20), the weights in shared memory and in global memory (H = 64 is
// on chip on an H100 but not in the emulator's 48 KiB; 200 and 512, the
// largest, in global memory everywhere).
struct RecShape {
  int b, h, steps;
};
const RecShape kRecShapes[] = {{1, 1, 1},   {3, 33, 5},   {5, 8, 7},   {65, 20, 6}, {300, 12, 4},
                               {700, 16, 3}, {3, 64, 4}, {2, 200, 3}, {4, 512, 2}};

// What both directions start from, for one shape: weights, pre-activations
// (the input projection), the gradient from above.
struct RecInputs {
  std::vector<float> w, pre, dh;
  explicit RecInputs(const RecShape& r) {
    const std::size_t n = static_cast<std::size_t>(r.steps) * r.b * r.h;
    // Weights scaled as PyTorch initialises them (1/sqrt(h)), so the
    // products stay in the gates' working range at every h.
    const float a = 1.0f / std::sqrt(static_cast<float>(r.h));
    w = uniform(4 * static_cast<std::size_t>(r.h) * r.h, -a, a, 71);
    pre = uniform(4 * n, -2, 2, 72);
    dh = uniform(n, -1, 1, 73);
  }
};

// A sum over h products, in another order on each side, then tanh and
// sigmoid: a few ulps per step, compounding over the steps.
constexpr double kRecAtol = 3e-5, kRecRtol = 1e-4;

TEST_F(CudaBackend, FusedRecurrenceForwardMatchesTheCpuAndRepeatsBitForBit) {
  for (const RecShape& r : kRecShapes) {
    SCOPED_TRACE(::testing::Message() << "B=" << r.b << " H=" << r.h << " T=" << r.steps);
    const auto fit = gpu().lstm_recurrence_fit(r.b, r.h);
    ASSERT_TRUE(fit.runs) << fit.why_not;
    const RecInputs in(r);
    const std::size_t n = static_cast<std::size_t>(r.steps) * r.b * r.h;
    auto g_ref = in.pre;
    std::vector<float> c_ref(n), h_ref(n);
    cpu::lstm_recurrence_forward(r.steps, r.b, r.h, in.w.data(), g_ref.data(), c_ref.data(), h_ref.data());
    auto dw = buffer_from(gpu(), in.w);
    std::vector<float> first_h;
    for (int run = 0; run < 2; ++run) {
      auto dg = buffer_from(gpu(), in.pre);
      Buffer<float> dcells(gpu(), n), dhs(gpu(), n);
      gpu().lstm_recurrence_forward(r.steps, r.b, r.h, dw.data(), dg.data(), dcells.data(), dhs.data());
      const auto hs = to_host(dhs);
      if (run == 0) {
        EXPECT_TRUE(all_close(to_host(dg), g_ref, kRecAtol, kRecRtol)) << "gate activations";
        EXPECT_TRUE(all_close(to_host(dcells), c_ref, kRecAtol, kRecRtol)) << "cells";
        EXPECT_TRUE(all_close(hs, h_ref, kRecAtol, kRecRtol)) << "hs";
        first_h = hs;
      } else {
        EXPECT_TRUE(bit_equal(hs, first_h)) << "a second run gave other bits";
      }
    }
  }
}

TEST_F(CudaBackend, FusedRecurrenceBackwardMatchesTheCpu) {
  for (const RecShape& r : kRecShapes) {
    SCOPED_TRACE(::testing::Message() << "B=" << r.b << " H=" << r.h << " T=" << r.steps);
    const RecInputs in(r);
    const std::size_t n = static_cast<std::size_t>(r.steps) * r.b * r.h, bh = static_cast<std::size_t>(r.b) * r.h;
    // Activations and cells as a forward leaves them, the CPU's on both sides.
    auto gates = in.pre;
    std::vector<float> cells(n), hs(n);
    cpu::lstm_recurrence_forward(r.steps, r.b, r.h, in.w.data(), gates.data(), cells.data(), hs.data());
    std::vector<float> dc_ref(bh), dhr_ref(bh, 7.0f), dg_ref(4 * n);
    cpu::lstm_recurrence_backward(r.steps, r.b, r.h, in.w.data(), gates.data(), cells.data(), in.dh.data(),
                                  dc_ref.data(), dhr_ref.data(), dg_ref.data());
    auto dw = buffer_from(gpu(), in.w);
    auto dgates_in = buffer_from(gpu(), gates);
    auto dcells = buffer_from(gpu(), cells);
    auto ddh = buffer_from(gpu(), in.dh);
    // Scratch as the model hands it over: whatever it held (7s: the one-step
    // case must leave dh_rec as it was, as the step loop does).
    auto ddc = buffer_from(gpu(), std::vector<float>(bh, 7.0f));
    auto ddhr = buffer_from(gpu(), std::vector<float>(bh, 7.0f));
    Buffer<float> ddg(gpu(), 4 * n);
    gpu().lstm_recurrence_backward(r.steps, r.b, r.h, dw.data(), dgates_in.data(), dcells.data(), ddh.data(),
                                   ddc.data(), ddhr.data(), ddg.data());
    EXPECT_TRUE(all_close(to_host(ddg), dg_ref, kRecAtol, kRecRtol)) << "dgates";
    EXPECT_TRUE(all_close(to_host(ddc), dc_ref, kRecAtol, kRecRtol)) << "dc (to the initial cell state)";
    EXPECT_TRUE(all_close(to_host(ddhr), dhr_ref, kRecAtol, kRecRtol)) << "dh_rec";
  }
}

TEST_F(CudaBackend, AutoRecurrencePicksTheFusedPathForSmallShapesOnly) {
  EXPECT_TRUE(gpu().lstm_recurrence_fit(64, 32).faster) << "small batch, weights on chip";
  EXPECT_TRUE(gpu().lstm_recurrence_fit(128, 24).faster);
  EXPECT_FALSE(gpu().lstm_recurrence_fit(129, 24).faster) << "past 128 rows the step loop's GEMMs fill the GPU";
  const auto big = gpu().lstm_recurrence_fit(8, 200);
  EXPECT_TRUE(big.runs) << "weights from global memory";
  EXPECT_FALSE(big.faster) << "not expected to beat the step loop";
  const auto too_big = gpu().lstm_recurrence_fit(8, 513);
  EXPECT_FALSE(too_big.runs);
  EXPECT_NE(too_big.why_not.find("hidden size"), std::string::npos) << too_big.why_not;
  // Forced on a shape it cannot run: refused, naming the flag; auto falls back.
  EXPECT_FALSE(fused_recurrence(gpu(), 8, 513));
  gpu().set_recurrence(RecurrencePath::kFused);
  try {
    fused_recurrence(gpu(), 8, 513);
    FAIL() << "forced fused ran past the kernel's limits";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--recurrence fused: batch 8, hidden 513"), std::string::npos) << e.what();
  }
}

// Whole training steps through each path, forced, on padded batches
// (lengths 1..T) with dropout between layers, then with the regularisers
// (weight drop: the fused kernel reads this step's masked copy of W_hh).
const Size kRecModel{"fused", 5, 24, 60, 12, 7};

TEST_F(CudaBackend, TrainingStepWithTheFusedRecurrenceMatchesTheCpu) {
  ASSERT_TRUE(gpu().lstm_recurrence_fit(kRecModel.B, kRecModel.H).runs);
  gpu().set_recurrence(RecurrencePath::kFused);
  expect_training_step_matches(gpu(), config_for(kRecModel), random_batch(kRecModel, 51));
  StepOptions so;
  so.weight_drop = 0.3;
  so.locked_dropout = 0.2;
  so.embed_dropout = 0.15;
  expect_training_step_matches(gpu(), config_for(kRecModel), random_batch(kRecModel, 52), so);
}

TEST_F(CudaBackend, TrainingStepWithTheStepLoopMatchesTheCpu) {
  // Auto runs these small shapes fused, so the step loop needs asking for.
  gpu().set_recurrence(RecurrencePath::kSteps);
  expect_training_step_matches(gpu(), config_for(kRecModel), random_batch(kRecModel, 53));
}

}  // namespace

#else  // !WUXIA_BUILT_WITH_CUDA

TEST(CudaParity, SkippedWithoutCuda) { GTEST_SKIP() << "built without CUDA: the GPU parity tests are not compiled in"; }

#endif
