#include "wuxia/cpu/cpu_backend.hpp"

#include <cblas.h>
#include <omp.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

namespace wuxia::cpu {

template <class T>
void* CpuBackend<T>::allocate(std::size_t bytes) {
  // 64-byte alignment: a cache line, and what AVX-512 loads like.
  void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!p) throw std::bad_alloc();
  return p;
}
template <class T>
void CpuBackend<T>::deallocate(void* p) noexcept {
  std::free(p);
}
template <class T>
void CpuBackend<T>::upload(void* dst, const void* src, std::size_t bytes) {
  if (bytes) std::memcpy(dst, src, bytes);
}
template <class T>
void CpuBackend<T>::download(void* dst, const void* src, std::size_t bytes) {
  if (bytes) std::memcpy(dst, src, bytes);
}

template class CpuBackend<float>;
template class CpuBackend<double>;

void set_threads(int threads) {
  // The BLAS is OpenBLAS built on OpenMP (scripts/setup.sh), so one call sets both.
  if (threads > 0) omp_set_num_threads(threads);
}

int max_threads() { return omp_get_max_threads(); }

extern "C" const char* wuxia_omp_wait_policy_origin();  // src/platform/omp_env.cpp

std::string wait_policy() {
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  const char* spin = std::getenv("GOMP_SPINCOUNT");
  std::string s = std::string("OMP_WAIT_POLICY=") + (policy ? policy : "unset");
  if (spin) s += std::string(" GOMP_SPINCOUNT=") + spin;
  return s + " (" + wuxia_omp_wait_policy_origin() + ")";
}

std::string blas_info() {
  // The core is OpenBLAS's choice for this CPU, or the OPENBLAS_CORETYPE environment variable's.
  const char* forced = std::getenv("OPENBLAS_CORETYPE");
  return std::string(openblas_get_config()) + " (core " + openblas_get_corename() +
         (forced ? std::string(", set by OPENBLAS_CORETYPE") : std::string()) + ")";
}

}  // namespace wuxia::cpu
