// The CUDA backend: Backend<float> on one GPU. Everything runs on one
// non-blocking stream owned by the backend, in issue order; only download()
// and synchronize() wait for it. GEMMs go to cuBLAS, the rest to the fused
// kernels in kernels/. Uploads go through pinned staging, so they do not wait
// either (unless they get a ring's worth ahead of the GPU); record()/replay()
// capture and launch CUDA Graphs on the stream.
#include "wuxia/cuda/cuda_backend.hpp"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <unordered_map>
#include <utility>

#include "adamw.cuh"
#include "axpby.cuh"
#include "cast_bf16.cuh"
#include "common.cuh"
#include "dropout.cuh"
#include "elementwise.cuh"
#include "embedding.cuh"
#include "embedding_dropout.cuh"
#include "locked_dropout.cuh"
#include "lstm_cell.cuh"
#include "lstm_recurrence.cuh"
#include "softmax_xent.cuh"
#include "wuxia/cuda/cuda_check.hpp"

namespace wuxia::cuda {
namespace {

// An owned CUDA or cuBLAS resource of handle type H, released by Destroy.
// Each kind below creates its handle in its constructor (a checked call that
// throws); the release runs only for a handle that was made, so a
// constructor that throws half-way releases what it had made.
template <typename H, auto Destroy>
class Owned {
 public:
  Owned() = default;
  ~Owned() {
    if (h_) Destroy(h_);
  }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  H get() const { return h_; }

 protected:
  H h_{};
};

struct Stream : Owned<cudaStream_t, &cudaStreamDestroy> {
  Stream() { CUDA_CHECK(cudaStreamCreateWithFlags(&h_, cudaStreamNonBlocking)); }
};

struct BlasHandle : Owned<cublasHandle_t, &cublasDestroy> {
  BlasHandle() { CUBLAS_CHECK(cublasCreate(&h_)); }
};

struct Event : Owned<cudaEvent_t, &cudaEventDestroy> {
  Event() { CUDA_CHECK(cudaEventCreateWithFlags(&h_, cudaEventDisableTiming)); }
};

class DeviceBytes : public Owned<void*, &cudaFree> {
 public:
  explicit DeviceBytes(std::size_t bytes) : bytes_(bytes) { CUDA_CHECK(cudaMalloc(&h_, bytes)); }
  std::size_t size() const { return bytes_; }

 private:
  std::size_t bytes_;
};

struct PinnedBytes : Owned<void*, &cudaFreeHost> {
  explicit PinnedBytes(std::size_t bytes) { CUDA_CHECK(cudaHostAlloc(&h_, bytes, cudaHostAllocDefault)); }
  unsigned char* bytes() const { return static_cast<unsigned char*>(h_); }
};

// An instantiated CUDA Graph: what record() returns.
struct Graph final : Recording, Owned<cudaGraphExec_t, &cudaGraphExecDestroy> {
  explicit Graph(cudaGraphExec_t exec) { h_ = exec; }
};

// Host memory for upload(). cudaMemcpyAsync from pageable memory may wait for
// the stream (the driver stages it through a bounce buffer), which would put
// a host sync into every training step; from pinned memory it only enqueues.
// So every upload is copied into pinned slots, used in turn, whose events say
// when the GPU has read them; one larger than a slot goes through several,
// a copy each. The host waits only to refill a slot whose copy has not run
// yet: when it is kSlots slots (several training steps) ahead of the GPU, or
// within an upload larger than the whole ring (16 MiB: a large model's
// parameters), which then streams through it as fast as the GPU takes it.
// Chunking keeps the pinned memory fixed: slots grown to the largest upload
// would pin kSlots copies of a model's parameters.
class StagingRing {
 public:
  static constexpr int kSlots = 32;
  static constexpr std::size_t kSlotBytes = 512u << 10;  // a B=4096, T=32 batch's tokens or targets

  StagingRing() : pinned_(kSlots * kSlotBytes) {}
  // Enqueues dst <- src on `stream`; `src` may be reused on return.
  void upload(void* dst, const void* src, std::size_t bytes, cudaStream_t stream) {
    auto* d = static_cast<unsigned char*>(dst);
    const auto* s = static_cast<const unsigned char*>(src);
    while (bytes) {
      const std::size_t n = std::min(bytes, kSlotBytes);
      const int i = next_;
      next_ = (next_ + 1) % kSlots;
      CUDA_CHECK(cudaEventSynchronize(read_[i].get()));  // the slot's previous copy has run
      unsigned char* slot = pinned_.bytes() + static_cast<std::size_t>(i) * kSlotBytes;
      std::memcpy(slot, s, n);
      CUDA_CHECK(cudaMemcpyAsync(d, slot, n, cudaMemcpyHostToDevice, stream));
      CUDA_CHECK(cudaEventRecord(read_[i].get(), stream));
      d += n;
      s += n;
      bytes -= n;
    }
  }

 private:
  PinnedBytes pinned_;
  std::array<Event, kSlots> read_;
  int next_ = 0;
};

// cuBLAS's recommended workspace on Hopper. Giving the handle its own
// workspace also keeps cuBLAS from picking one from a shared pool, which is
// what makes its results reproducible from run to run on one stream.
constexpr std::size_t kBlasWorkspaceBytes = 32u << 20;

std::string mib(std::size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

class CudaBackend final : public Backend<float> {
 public:
  explicit CudaBackend(const Options& opts)
      : workspace_(kBlasWorkspaceBytes), partials_(sizeof(double) * kern::kMaxPartials) {
    CUBLAS_CHECK(cublasSetStream(blas_.get(), stream_.get()));
    CUBLAS_CHECK(cublasSetWorkspace(blas_.get(), workspace_.get(), workspace_.size()));
    // DEFAULT_MATH keeps SGEMM in full FP32 (no TF32 unless asked for).
    CUBLAS_CHECK(cublasSetMathMode(blas_.get(), opts.tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
    CUBLAS_CHECK(cublasSetPointerMode(blas_.get(), CUBLAS_POINTER_MODE_HOST));
    name_ = opts.tf32 ? "cuda (tf32)" : "cuda";
    recurrence_limits_ = kern::recurrence_limits();
  }

  ~CudaBackend() override {
    // Work still queued may use the buffers the members free; errors here
    // have nowhere to go, and a destructor must not throw.
    cudaStreamSynchronize(stream_.get());
  }

  std::string name() const override { return name_; }

  // ---- memory ----
  void* allocate(std::size_t bytes) override {
    not_recording("allocate");
    void* p = nullptr;
    const cudaError_t e = cudaMalloc(&p, bytes);
    if (e == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      std::size_t free_b = 0, total_b = 0;
      cudaMemGetInfo(&free_b, &total_b);
      throw Error("out of GPU memory: asked for " + mib(bytes) + ", " + mib(free_b) + " free of " + mib(total_b));
    }
    CUDA_CHECK(e);
    sizes_[p] = bytes;
    in_use_ += bytes;
    peak_ = std::max(peak_, in_use_);
    return p;
  }
  void deallocate(void* p) noexcept override {
    // Kernels still queued may read or write p. Waiting here, not in a step,
    // costs nothing in training (buffers are freed when a workspace grows or
    // a model goes away) and does not lean on cudaFree's own implicit sync.
    cudaStreamSynchronize(stream_.get());
    cudaFree(p);
    const auto it = sizes_.find(p);
    if (it != sizes_.end()) {
      in_use_ -= it->second;
      sizes_.erase(it);
    }
  }
  void upload(void* dst, const void* src, std::size_t bytes) override {
    not_recording("upload");
    staging_.upload(dst, src, bytes, stream_.get());
  }
  void download(void* dst, const void* src, std::size_t bytes) override {
    not_recording("download");
    if (bytes) CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream_.get()));
    synchronize();
  }
  void synchronize() override {
    not_recording("synchronize");
    CUDA_CHECK(cudaStreamSynchronize(stream_.get()));
  }
  std::size_t peak_allocated() const override { return peak_ + workspace_.size() + partials_.size(); }

  std::unique_ptr<Recording> record(const std::function<void()>& issue) override {
    not_recording("record");
    // Thread-local mode: capture fails only on unsafe calls from this thread,
    // not on unrelated CUDA work elsewhere in the process.
    CUDA_CHECK(cudaStreamBeginCapture(stream_.get(), cudaStreamCaptureModeThreadLocal));
    recording_ = true;
    cudaGraph_t graph = nullptr;
    try {
      issue();
    } catch (...) {
      recording_ = false;
      if (cudaStreamEndCapture(stream_.get(), &graph) == cudaSuccess && graph) cudaGraphDestroy(graph);
      cudaGetLastError();  // the failed capture's sticky-free error, if any
      throw;
    }
    recording_ = false;
    CUDA_CHECK(cudaStreamEndCapture(stream_.get(), &graph));
    cudaGraphExec_t exec = nullptr;
    const cudaError_t e = cudaGraphInstantiate(&exec, graph, 0);
    cudaGraphDestroy(graph);  // the executable graph keeps what it needs
    CUDA_CHECK(e);
    return std::make_unique<Graph>(exec);
  }
  void replay(const Recording& r) override {
    not_recording("replay");
    const auto* g = dynamic_cast<const Graph*>(&r);
    if (!g) throw Error("replay: not a recording of the CUDA backend");
    CUDA_CHECK(cudaGraphLaunch(g->get(), stream_.get()));
  }

  // ---- ops ----
  // Both GEMMs' shapes without a product: nothing to do when C is empty;
  // with k = 0, C = beta * C. cuBLAS would scale C too, but rejects lda/ldb
  // < 1 on the way; this matches the CPU reference, which multiplies (NaN *
  // 0 stays NaN). True when it handled the call.
  bool gemm_without_products(int m, int n, int k, float beta, float* c, int ldc) {
    if (m <= 0 || n <= 0) return true;
    if (k > 0) return false;
    kern::scale_matrix(m, n, beta, c, ldc, stream_.get());
    return true;
  }
  static cublasOperation_t op_of(bool transposed) { return transposed ? CUBLAS_OP_T : CUBLAS_OP_N; }

  void gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
            int ldb, float beta, float* c, int ldc) override {
    if (gemm_without_products(m, n, k, beta, c, ldc)) return;
    // cuBLAS is column-major. A row-major [r, s] matrix with leading dimension
    // ld is, read column-major, its transpose [s, r] with the same ld. So the
    // row-major product C = op(A) op(B) is, in cuBLAS's view, the product
    // C^T = op(B)^T op(A)^T: pass B first and A second, swap m and n, and keep
    // each operand's own transpose flag (a stored, not-transposed B already
    // reads as B^T). Leading dimensions carry over unchanged.
    CUBLAS_CHECK(
        cublasSgemm(blas_.get(), op_of(trans_b), op_of(trans_a), n, m, k, &alpha, b, ldb, a, lda, &beta, c, ldc));
  }

  // --precision bf16: bfloat16 A and B, FP32 C and accumulation
  // (CUBLAS_COMPUTE_32F), through cublasGemmEx (cuBLASLt would choose its
  // algorithms per shape too, but the plain call keeps one path for both
  // precisions). Row-major as in gemm above: B first, A second, m and n swapped.
  void gemm_bf16(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const Bf16* a, int lda, const Bf16* b,
                 int ldb, float beta, float* c, int ldc) override {
    if (gemm_without_products(m, n, k, beta, c, ldc)) return;
    CUBLAS_CHECK(cublasGemmEx(blas_.get(), op_of(trans_b), op_of(trans_a), n, m, k, &alpha, b, CUDA_R_16BF, ldb, a,
                              CUDA_R_16BF, lda, &beta, c, CUDA_R_32F, ldc, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  }
  void cast_bf16(std::size_t n, const float* in, Bf16* out) override { kern::cast_bf16(n, in, out, stream_.get()); }

  void embedding_forward(int n, int e, const int32_t* ids, const float* weight, float* out) override {
    kern::embedding_forward(n, e, ids, weight, out, stream_.get());
  }
  void embedding_backward(int n, int e, int v, const int32_t* ids, const float* dout, float* dweight) override {
    kern::embedding_backward(n, e, v, ids, dout, dweight, stream_.get());
  }
  void bias_rows(int rows, int cols, const float* b1, const float* b2, float* out) override {
    kern::bias_rows(rows, cols, b1, b2, out, stream_.get());
  }
  void sum_rows(int rows, int cols, const float* in, float* out) override {
    kern::sum_rows(rows, cols, in, out, stream_.get());
  }
  void lstm_cell_forward(int b, int h, float* gates, const float* c_prev, float* c, float* h_out) override {
    kern::lstm_cell_forward(b, h, gates, c_prev, c, h_out, stream_.get());
  }
  void lstm_cell_backward(int b, int h, const float* gates, const float* c_prev, const float* c, const float* dh,
                          const float* dh_rec, float* dc, float* dgates) override {
    kern::lstm_cell_backward(b, h, gates, c_prev, c, dh, dh_rec, dc, dgates, stream_.get());
  }
  // The fused recurrence (kernels/lstm_recurrence.cu); planned per call
  // from the device's limits, which the constructor read once.
  RecurrenceFit lstm_recurrence_fit(int b, int h) const override {
    const kern::RecurrencePlan p = kern::plan_recurrence(b, h, recurrence_limits_);
    return {p.runs, p.faster, p.why_not};
  }
  void lstm_recurrence_forward(int steps, int b, int h, const float* w_hh, float* gates, float* cells,
                               float* hs) override {
    kern::lstm_recurrence_forward(kern::plan_recurrence(b, h, recurrence_limits_), steps, b, h, w_hh, gates, cells, hs,
                                  stream_.get());
  }
  void lstm_recurrence_backward(int steps, int b, int h, const float* w_hh, const float* gates, const float* cells,
                                const float* dh, float* dc, float* dh_rec, float* dgates) override {
    kern::lstm_recurrence_backward(kern::plan_recurrence(b, h, recurrence_limits_), steps, b, h, w_hh, gates, cells, dh,
                                   dc, dh_rec, dgates, stream_.get());
  }
  void softmax_xent(int rows, int v, const float* logits, const int32_t* targets, const float* scale, float* loss,
                    float* row_loss, float* dlogits) override {
    kern::softmax_xent(rows, v, logits, targets, scale, loss, row_loss, dlogits, partials(), stream_.get());
  }
  void dropout(std::size_t n, double p, uint64_t seed, uint32_t purpose, const uint64_t* step, const float* in,
               float* out) override {
    kern::dropout(n, p, seed, purpose, step, in, out, stream_.get());
  }
  void locked_dropout(std::size_t n, std::size_t period, double p, uint64_t seed, uint32_t purpose,
                      const uint64_t* step, const float* in, float* out) override {
    kern::locked_dropout(n, period, p, seed, purpose, step, in, out, stream_.get());
  }
  void embedding_dropout(int n, int e, const int32_t* ids, double p, uint64_t seed, uint32_t purpose,
                         const uint64_t* step, const float* in, float* out) override {
    kern::embedding_dropout(n, e, ids, p, seed, purpose, step, in, out, stream_.get());
  }
  void grad_norm(std::size_t n, const float* x, float* out) override {
    kern::grad_norm(n, x, out, partials(), stream_.get());
  }
  void adamw_step(std::size_t n, float* param, const float* grad, float* m, float* v, const float* norm,
                  const AdamWScalars<float>* s, const uint8_t* base) override {
    kern::adamw_step(n, param, grad, m, v, norm, s, base, stream_.get());
  }
  void axpby(std::size_t n, const float* x, float* y, const float* ab) override {
    kern::axpby(n, x, y, ab, stream_.get());
  }
  void fill(std::size_t n, float value, float* x) override { kern::fill(n, value, x, stream_.get()); }
  void copy(std::size_t n, const float* src, float* dst) override { kern::copy(n, src, dst, stream_.get()); }

 private:
  // Shared by softmax_xent and grad_norm: both use it only between their own
  // launches, and ops on the one stream never overlap.
  double* partials() { return static_cast<double*>(partials_.get()); }
  // What a recording may not contain: in stream capture these calls either
  // fail with a capture error that names no culprit, or, worse, succeed
  // outside the graph. Say which one it was.
  void not_recording(const char* what) const {
    if (recording_) throw Error(std::string("CUDA backend: ") + what + " while recording a CUDA Graph");
  }

  // Members are destroyed in reverse order: the cuBLAS handle goes before the
  // workspace it was given, and the stream outlives everything queued on it.
  Stream stream_;
  DeviceBytes workspace_;
  DeviceBytes partials_;
  BlasHandle blas_;
  StagingRing staging_;
  std::string name_;
  kern::RecurrenceLimits recurrence_limits_;
  bool recording_ = false;
  std::unordered_map<void*, std::size_t> sizes_;  // live allocations, for peak_allocated()
  std::size_t in_use_ = 0, peak_ = 0;
};

}  // namespace

bool device_usable(std::string* why_not) {
  try {
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
      cudaGetLastError();
      int driver = 0;
      // With no driver at all the runtime says "insufficient driver", which
      // reads like a version problem; say what it is.
      if (e == cudaErrorInsufficientDriver && cudaDriverGetVersion(&driver) == cudaSuccess && driver == 0) {
        if (why_not) *why_not = "no NVIDIA driver is installed (no GPU on this machine?)";
        return false;
      }
      if (why_not) *why_not = std::string("CUDA reports ") + cudaGetErrorName(e) + ": " + cudaGetErrorString(e);
      return false;
    }
    if (count == 0) {
      if (why_not) *why_not = "no CUDA device is visible";
      return false;
    }
    return kern::kernel_image_loads(why_not);
  } catch (...) {  // std::bad_alloc from the strings, at worst
    if (why_not) *why_not = "unexpected error while probing for a CUDA device";
    return false;
  }
}

std::string device_description() {
  try {
    std::string why;
    if (!device_usable(&why)) return "no usable CUDA device (" + why + ")";
    int dev = 0;
    cudaDeviceProp p{};
    if (cudaGetDevice(&dev) != cudaSuccess || cudaGetDeviceProperties(&p, dev) != cudaSuccess) {
      cudaGetLastError();
      return "CUDA device (properties unavailable)";
    }
    int driver = 0, runtime = 0;
    cudaDriverGetVersion(&driver);
    cudaRuntimeGetVersion(&runtime);
    std::ostringstream o;
    o << p.name << " (device " << dev << ", sm_" << p.major << p.minor << ", " << p.multiProcessorCount << " SMs, "
      << mib(p.totalGlobalMem) << "; driver " << driver / 1000 << "." << (driver % 1000) / 10 << ", runtime "
      << runtime / 1000 << "." << (runtime % 1000) / 10 << ")";
    return o.str();
  } catch (...) {
    return "CUDA device (description failed)";
  }
}

std::unique_ptr<Backend<float>> make_backend(const Options& opts) {
  std::string why;
  if (!device_usable(&why)) throw Error("no usable CUDA device: " + why);
  return std::make_unique<CudaBackend>(opts);
}

}  // namespace wuxia::cuda
