// The fused LSTM recurrence (--recurrence fused): a layer's T steps in one
// launch per direction instead of a GEMM and a cell kernel per step.
//
// Why it is faster at small batch and hidden sizes: a step's GEMM there is a
// few microseconds of launch, tail and DRAM round trip for well under a
// microsecond of arithmetic, and the step loop pays it 2T times per layer
// and direction. Here each block owns a slice of batch rows and loops over
// every step itself; batch rows never meet across the recurrence, so no
// block ever waits for another (no grid-wide barrier, which neither the
// host emulator nor a plain launch offers). The recurrent weights are
// staged into shared memory once per launch when they fit (h up to about
// 110 on an H100's 227 KiB) and read from there at every step; larger h
// reads them from global memory (L2) at every step, which runs but is not
// expected to beat the step loop. The state (h in shared memory, c in
// registers) never leaves the chip between steps; each step writes what
// backward needs (gate activations, c, h) to global memory as the step loop
// does.
//
// Thread (j, group) owns hidden unit j of kRows consecutive rows and
// computes all four gates of that unit, so the cell update needs no exchange
// between threads: one __syncthreads per step, between writing h_t and
// reading it back, with h double-buffered so the next step's writes never
// meet this step's reads. The backward has the same shape, with the gate
// gradients double-buffered in shared memory for the dh_rec product.
//
// The arithmetic of the cell follows kernels/lstm_cell.cu expression by
// expression; the h.W_hh^T and dgates.W_hh products are summed over k in
// order, cuBLAS's in its own order, so the two paths agree to rounding.
// Weights are float; a bf16 copy would change only the two weight loads
// (load_w, and the staging loop) and the shared-memory sizes.
#include <algorithm>
#include <string>
#include <type_traits>

#include "common.cuh"
#include "wuxia/cuda/cuda_check.hpp"
#include "lstm_recurrence.cuh"

namespace wuxia::cuda::kern {
namespace {

// A block's most threads: one per hidden unit per row group. 512 rather
// than 1024 leaves each thread 128 registers, which the kRows = 4
// accumulators (16 gates, 16 partial products) need without spilling.
constexpr int kMaxThreads = 512;
// What a block may use without opting in (cudaFuncSetAttribute).
constexpr std::size_t kDefaultSmem = 48u << 10;

// Four floats loaded as one 16-byte shared-memory access (a struct of our
// own: the host emulator has no float4).
struct alignas(16) Quad {
  float x, y, z, w;
};

__device__ __forceinline__ float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

__device__ __forceinline__ const Quad& quad_at(const float* p) { return *reinterpret_cast<const Quad*>(p); }

// Stages w_hh [4h, h] into shared memory as [4h, stride], the padding
// columns zero (the forward's 4-wide loop runs over them).
__device__ __forceinline__ void stage_weights(int h, int stride, const float* __restrict__ w_hh, float* w_s) {
  const int n = 4 * h * stride;
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    const int g = i / stride, k = i % stride;
    w_s[i] = k < h ? w_hh[static_cast<std::size_t>(g) * h + k] : 0.0f;
  }
}

// Forward. Dynamic shared memory: [4h, stride] weights when kSmemW, then
// h_{t-1} and h_t, each [rows, stride] (rows = kRows * groups).
template <int kRows, bool kSmemW>
__global__ void __launch_bounds__(kMaxThreads)
    lstm_recurrence_forward_kernel(int steps, int b, int h, int stride, const float* __restrict__ w_hh,
                                   float* __restrict__ gates, float* __restrict__ cells, float* __restrict__ hs) {
  extern __shared__ Quad smem_quads[];
  float* const smem = reinterpret_cast<float*>(smem_quads);
  const int groups = blockDim.x / h;  // the launcher makes blockDim.x = h * groups
  const int rows = groups * kRows;
  float* const w_s = smem;
  float* const h_s = smem + (kSmemW ? 4 * h * stride : 0);
  const int j = threadIdx.x % h, grp = threadIdx.x / h;
  const int first = blockIdx.x * rows + grp * kRows;  // this thread's first batch row
  const std::size_t g4 = 4 * static_cast<std::size_t>(h);
  if (kSmemW) stage_weights(h, stride, w_hh, w_s);
  // h_{-1} = 0, and the padding columns stay 0 for good.
  for (int i = threadIdx.x; i < 2 * rows * stride; i += blockDim.x) h_s[i] = 0.0f;
  __syncthreads();

  float c[kRows];
#pragma unroll
  for (int r = 0; r < kRows; ++r) c[r] = 0.0f;
  for (int t = 0; t < steps; ++t) {
    const float* hp = h_s + (t & 1) * rows * stride + grp * kRows * stride;
    float* hn = h_s + ((t + 1) & 1) * rows * stride + grp * kRows * stride;
    // The input projection first: its global loads are in flight while the
    // products below run.
    float acc[kRows][4];
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      const int row = first + r;
#pragma unroll
      for (int q = 0; q < 4; ++q) {
        acc[r][q] = row < b ? gates[(static_cast<std::size_t>(t) * b + row) * g4 + q * h + j] : 0.0f;
      }
    }
    if (t > 0) {  // step 0 has no h_{-1} product, as in the step loop
      float dot[kRows][4];
#pragma unroll
      for (int r = 0; r < kRows; ++r) {
#pragma unroll
        for (int q = 0; q < 4; ++q) dot[r][q] = 0.0f;
      }
      if (kSmemW) {
        // Row q*h + j of the weights, 4 columns at a time; the stride keeps
        // neighbouring threads' rows in different banks. The h_{t-1} reads
        // are the same address across the group: a broadcast.
        for (int k = 0; k < stride; k += 4) {
          Quad w[4];
#pragma unroll
          for (int q = 0; q < 4; ++q) w[q] = quad_at(w_s + (q * h + j) * stride + k);
#pragma unroll
          for (int r = 0; r < kRows; ++r) {
            const Quad x = quad_at(hp + r * stride + k);
#pragma unroll
            for (int q = 0; q < 4; ++q) dot[r][q] += w[q].x * x.x + w[q].y * x.y + w[q].z * x.z + w[q].w * x.w;
          }
        }
      } else {
        for (int k = 0; k < h; ++k) {
          float w[4];
#pragma unroll
          for (int q = 0; q < 4; ++q) w[q] = __ldg(w_hh + (static_cast<std::size_t>(q) * h + j) * h + k);
#pragma unroll
          for (int r = 0; r < kRows; ++r) {
            const float x = hp[r * stride + k];
#pragma unroll
            for (int q = 0; q < 4; ++q) dot[r][q] += w[q] * x;
          }
        }
      }
#pragma unroll
      for (int r = 0; r < kRows; ++r) {
#pragma unroll
        for (int q = 0; q < 4; ++q) acc[r][q] += dot[r][q];
      }
    }
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      const int row = first + r;
      if (row >= b) continue;  // its h rows stay 0; it still reaches the barrier
      const std::size_t n = static_cast<std::size_t>(t) * b + row;
      float* g = gates + n * g4;
      const float i = sigmoid(acc[r][0]);
      const float f = sigmoid(acc[r][1]);
      const float gg = tanhf(acc[r][2]);
      const float o = sigmoid(acc[r][3]);
      g[j] = i;
      g[h + j] = f;
      g[2 * h + j] = gg;
      g[3 * h + j] = o;
      c[r] = f * c[r] + i * gg;
      cells[n * h + j] = c[r];
      const float hv = o * tanhf(c[r]);
      hs[n * h + j] = hv;
      hn[r * stride + j] = hv;
    }
    __syncthreads();  // h_t complete before step t+1 reads it
  }
}

// Backward. Dynamic shared memory: [4h, stride] weights when kSmemW, then
// two buffers of the step's gate gradients, each [rows, 4h].
template <int kRows, bool kSmemW>
__global__ void __launch_bounds__(kMaxThreads)
    lstm_recurrence_backward_kernel(int steps, int b, int h, int stride, const float* __restrict__ w_hh,
                                    const float* __restrict__ gates, const float* __restrict__ cells,
                                    const float* __restrict__ dh, float* __restrict__ dc_out,
                                    float* __restrict__ dh_rec_out, float* __restrict__ dgates) {
  extern __shared__ Quad smem_quads[];
  float* const smem = reinterpret_cast<float*>(smem_quads);
  const int groups = blockDim.x / h;
  const int rows = groups * kRows;
  const int g4 = 4 * h;
  float* const w_s = smem;
  float* const dg_s = smem + (kSmemW ? 4 * h * stride : 0);
  const int j = threadIdx.x % h, grp = threadIdx.x / h;
  const int first = blockIdx.x * rows + grp * kRows;
  if (kSmemW) {
    stage_weights(h, stride, w_hh, w_s);
    __syncthreads();
  }

  float dc[kRows], dh_rec[kRows];
#pragma unroll
  for (int r = 0; r < kRows; ++r) dc[r] = dh_rec[r] = 0.0f;
  for (int t = steps - 1; t >= 0; --t) {
    float* dgb = dg_s + (t & 1) * rows * g4 + grp * kRows * g4;
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      const int row = first + r;
      float* ds = dgb + r * g4;
      if (row >= b) {  // zeros for the product below, which runs over every row of the group
        ds[j] = ds[h + j] = ds[2 * h + j] = ds[3 * h + j] = 0.0f;
        continue;
      }
      const std::size_t n = static_cast<std::size_t>(t) * b + row;
      const float* g = gates + n * g4;
      const float i = g[j], f = g[h + j], gg = g[2 * h + j], o = g[3 * h + j];
      const float tc = tanhf(cells[n * h + j]);
      const float dhj = dh[n * h + j] + (t < steps - 1 ? dh_rec[r] : 0.0f);
      const float dcj = dc[r] + dhj * o * (1.0f - tc * tc);
      const float cp = t > 0 ? cells[(n - b) * h + j] : 0.0f;
      const float dgi = dcj * gg * i * (1.0f - i);
      const float dgf = dcj * cp * f * (1.0f - f);
      const float dgg = dcj * i * (1.0f - gg * gg);
      const float dgo = dhj * tc * o * (1.0f - o);
      float* dg = dgates + n * g4;
      dg[j] = dgi;
      dg[h + j] = dgf;
      dg[2 * h + j] = dgg;
      dg[3 * h + j] = dgo;
      ds[j] = dgi;
      ds[h + j] = dgf;
      ds[2 * h + j] = dgg;
      ds[3 * h + j] = dgo;
      dc[r] = dcj * f;
    }
    __syncthreads();  // the row's 4h gate gradients complete before the product reads them
    if (t == 0) break;
    // dh_rec for step t-1: sum over the 4h gates of dgates[row, g] * W[g, j],
    // each weight loaded once for the thread's rows. The other buffer is
    // written next; the barrier above (of step t-1's writes) orders this
    // step's reads before the writes two steps on.
    float sum[kRows];
#pragma unroll
    for (int r = 0; r < kRows; ++r) sum[r] = 0.0f;
    for (int g = 0; g < g4; g += 4) {
      float w[4];
#pragma unroll
      for (int q = 0; q < 4; ++q) {
        w[q] = kSmemW ? w_s[(g + q) * stride + j] : __ldg(w_hh + static_cast<std::size_t>(g + q) * h + j);
      }
#pragma unroll
      for (int r = 0; r < kRows; ++r) {
        const Quad d = quad_at(dgb + r * g4 + g);  // the same address across the group: a broadcast
        sum[r] += d.x * w[0] + d.y * w[1] + d.z * w[2] + d.w * w[3];
      }
    }
#pragma unroll
    for (int r = 0; r < kRows; ++r) dh_rec[r] = sum[r];
  }
  // What the step loop leaves in its scratch: the gradient to c_{-1}, and
  // the recurrent gradient step 0 received (none when there is one step).
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
    const int row = first + r;
    if (row >= b) continue;
    dc_out[static_cast<std::size_t>(row) * h + j] = dc[r];
    if (steps > 1) dh_rec_out[static_cast<std::size_t>(row) * h + j] = dh_rec[r];
  }
}

// Lets `kernel` use up to `bytes` of dynamic shared memory. Above 48 KiB a
// block must opt in; only the CUDA runtime (CUDART_VERSION) has the call,
// and the host emulator's limits never plan above 48 KiB (recurrence_limits).
template <class Kernel>
void allow_smem(Kernel kernel, std::size_t bytes) {
#if defined(CUDART_VERSION)
  if (bytes > kDefaultSmem) {
    CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)));
  }
#else
  (void)kernel;
  (void)bytes;
#endif
}

// Calls f(std::integral_constant<int, kRows>, std::bool_constant<kSmemW>)
// for the plan's instantiation.
template <class F>
void with_plan(const RecurrencePlan& p, F&& f) {
  auto rows = [&](auto smem) {
    switch (p.rows_per_thread) {
      case 1:
        return f(std::integral_constant<int, 1>{}, smem);
      case 2:
        return f(std::integral_constant<int, 2>{}, smem);
      case 4:
        return f(std::integral_constant<int, 4>{}, smem);
      default:
        throw Error("internal: fused recurrence planned with " + std::to_string(p.rows_per_thread) +
                    " rows per thread");
    }
  };
  if (p.weights_in_smem) {
    rows(std::true_type{});
  } else {
    rows(std::false_type{});
  }
}

void check_plan(const RecurrencePlan& p, int b, int h) {
  if (!p.runs) {
    throw Error("fused LSTM recurrence: batch " + std::to_string(b) + ", hidden " + std::to_string(h) + ": " +
                p.why_not);
  }
}

unsigned grid_of(const RecurrencePlan& p, int b) {
  const int rows = p.rows_per_thread * p.groups;
  return static_cast<unsigned>((b + rows - 1) / rows);
}

std::size_t stride_of(int h) {
  // h rounded up to the 4-wide loads, then to an odd number of 4-float
  // groups: the 8 threads of a quarter warp, each reading its own row 16
  // bytes at a time, then hit 8 different bank quadruples.
  std::size_t s = (static_cast<std::size_t>(h) + 3) / 4 * 4;
  if ((s / 4) % 2 == 0) s += 4;
  return s;
}

}  // namespace

RecurrenceLimits recurrence_limits() {
  RecurrenceLimits l;
  int dev = 0;
  CUDA_CHECK(cudaGetDevice(&dev));
  cudaDeviceProp p{};
  CUDA_CHECK(cudaGetDeviceProperties(&p, dev));
  l.sms = p.multiProcessorCount > 0 ? p.multiProcessorCount : 1;
#if defined(CUDART_VERSION)
  int optin = 0;
  CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
  l.max_smem = static_cast<std::size_t>(optin);
#else
  l.max_smem = p.sharedMemPerBlock;  // the emulator: no opt-in, 48 KiB
#endif
  // Every instantiation opted in to all of it once, here, rather than at
  // each launch: a launch may then sit in a CUDA Graph capture with nothing
  // but the launch itself, and plan_recurrence never plans past l.max_smem.
  RecurrencePlan all;
  for (int rows : {1, 2, 4}) {
    for (bool smem : {false, true}) {
      all.rows_per_thread = rows;
      all.weights_in_smem = smem;
      with_plan(all, [&](auto r, auto w) {
        constexpr int kRows = decltype(r)::value;
        constexpr bool kSmemW = decltype(w)::value;
        allow_smem(lstm_recurrence_forward_kernel<kRows, kSmemW>, l.max_smem);
        allow_smem(lstm_recurrence_backward_kernel<kRows, kSmemW>, l.max_smem);
      });
    }
  }
  return l;
}

RecurrencePlan plan_recurrence(int b, int h, const RecurrenceLimits& limits) {
  RecurrencePlan p;
  if (b < 1 || h < 1) {
    p.why_not = "empty shape";
    return p;
  }
  if (h > kMaxThreads) {
    p.why_not = "hidden size above " + std::to_string(kMaxThreads) +
                " (one thread per hidden unit, in one block of at most that many)";
    return p;
  }
  // Rows per block: enough blocks to fill the multiprocessors where the
  // batch allows, up to 16 rows a block (4 per thread, 4 groups) beyond.
  const int per_block = std::min(16, std::max(1, (b + limits.sms - 1) / limits.sms));
  p.rows_per_thread = per_block >= 4 ? 4 : per_block >= 2 ? 2 : 1;
  p.groups = std::max(1, std::min((per_block + p.rows_per_thread - 1) / p.rows_per_thread, kMaxThreads / h));
  const std::size_t s = stride_of(h);
  p.stride = static_cast<int>(s);
  const std::size_t weights = 4 * static_cast<std::size_t>(h) * s * sizeof(float);
  auto state = [&](std::size_t rows) {
    return std::max(2 * rows * s, 2 * rows * 4 * static_cast<std::size_t>(h)) * sizeof(float);
  };
  // Fewer rows per block until the state alone fits (large h).
  while (state(static_cast<std::size_t>(p.rows_per_thread) * p.groups) > limits.max_smem &&
         (p.groups > 1 || p.rows_per_thread > 1)) {
    if (p.groups > 1) {
      --p.groups;
    } else {
      p.rows_per_thread /= 2;
    }
  }
  const std::size_t rows = static_cast<std::size_t>(p.rows_per_thread) * p.groups;
  if (state(rows) > limits.max_smem) {
    p.why_not = "a block's state (" + std::to_string(state(rows)) + " bytes) exceeds the " +
                std::to_string(limits.max_smem) + " bytes of shared memory a block may use";
    return p;
  }
  p.weights_in_smem = weights + state(rows) <= limits.max_smem;
  const std::size_t w = p.weights_in_smem ? weights : 0;
  p.fwd_smem = w + 2 * rows * s * sizeof(float);
  p.bwd_smem = w + 2 * rows * 4 * static_cast<std::size_t>(h) * sizeof(float);
  p.runs = true;
  // With the weights in L2 every block reads all of them at every step,
  // which at these batch sizes costs about what the step loop's GEMM does;
  // on chip the step costs a fraction of the GEMM's launch and tail. Above
  // 128 rows the step loop's GEMMs start to fill the GPU. Unmeasured on a
  // GPU so far: docs/PERF.md, scripts/gpu_check.sh.
  p.faster = p.weights_in_smem && b <= 128;
  return p;
}

void lstm_recurrence_forward(const RecurrencePlan& plan, int steps, int b, int h, const float* w_hh, float* gates,
                             float* cells, float* hs, cudaStream_t stream) {
  check_plan(plan, b, h);
  if (steps <= 0) return;
  const unsigned grid = grid_of(plan, b);
  const unsigned threads = static_cast<unsigned>(h * plan.groups);
  with_plan(plan, [&](auto rows, auto smem) {
    constexpr int kRows = decltype(rows)::value;
    constexpr bool kSmemW = decltype(smem)::value;
    lstm_recurrence_forward_kernel<kRows, kSmemW><<<grid, threads, plan.fwd_smem, stream>>>(
        steps, b, h, plan.stride, w_hh, gates, cells, hs);
    CUDA_CHECK_LAUNCH();
  });
}

void lstm_recurrence_backward(const RecurrencePlan& plan, int steps, int b, int h, const float* w_hh,
                              const float* gates, const float* cells, const float* dh, float* dc, float* dh_rec,
                              float* dgates, cudaStream_t stream) {
  check_plan(plan, b, h);
  if (steps <= 0) return;
  const unsigned grid = grid_of(plan, b);
  const unsigned threads = static_cast<unsigned>(h * plan.groups);
  with_plan(plan, [&](auto rows, auto smem) {
    constexpr int kRows = decltype(rows)::value;
    constexpr bool kSmemW = decltype(smem)::value;
    lstm_recurrence_backward_kernel<kRows, kSmemW><<<grid, threads, plan.bwd_smem, stream>>>(
        steps, b, h, plan.stride, w_hh, gates, cells, dh, dc, dh_rec, dgates);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace wuxia::cuda::kern
