// An LD_PRELOAD shim around cblas_sgemm: for any program that calls the BLAS
// through CBLAS (wuxia does), how many calls of each shape, their CPU time
// (the calling thread's, so other work on a shared machine does not inflate
// it), GFLOP/s, and optionally how many operand and result elements are
// denormal (a classic cause of a GEMM far below its rate). At exit, to stderr.
//
//   gcc -O2 -shared -fPIC scripts/sgemm_profile.c -o /tmp/sgemm_profile.so -ldl -lm
//   LD_PRELOAD=/tmp/sgemm_profile.so wuxia sample --checkpoint C -n 10000 --threads 1 >/dev/null
//   SGEMM_PROFILE_DENORMALS=1 LD_PRELOAD=... (counts the denormals too: slow)
#define _GNU_SOURCE
#include <cblas.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef void (*sgemm_fn)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint, blasint, blasint,
                         float, const float*, blasint, const float*, blasint, float, float*, blasint);

enum { kMaxShapes = 256 };
static struct Shape {
  int ta, tb, m, n, k;  // m rounded down to 16: the sampler's row count varies step to step
  long calls;
  double seconds, flops;
} shapes[kMaxShapes];
static int num_shapes;
static long denormal_a, denormal_b, denormal_c, elements;

static double thread_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

// Denormal elements of a row-major rows x cols matrix with leading dimension ld.
static long denormals(const float* p, int rows, int cols, int ld) {
  long n = 0;
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) n += fpclassify(p[(long)i * ld + j]) == FP_SUBNORMAL;
  }
  return n;
}

void cblas_sgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, blasint m, blasint n,
                 blasint k, float alpha, const float* a, blasint lda, const float* b, blasint ldb, float beta,
                 float* c, blasint ldc) {
  static sgemm_fn real;
  static int count_denormals = -1;
  if (!real) real = (sgemm_fn)dlsym(RTLD_NEXT, "cblas_sgemm");
  if (count_denormals < 0) count_denormals = getenv("SGEMM_PROFILE_DENORMALS") != NULL;
  const int row_major = order == CblasRowMajor;
  if (count_denormals && row_major) {  // wuxia calls row-major only
    denormal_a += ta == CblasNoTrans ? denormals(a, m, k, lda) : denormals(a, k, m, lda);
    denormal_b += tb == CblasNoTrans ? denormals(b, k, n, ldb) : denormals(b, n, k, ldb);
    elements += (long)m * k + (long)k * n;
  }
  const double t0 = thread_seconds();
  real(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  const double dt = thread_seconds() - t0;
  if (count_denormals && row_major) denormal_c += denormals(c, m, n, ldc);
  const int mm = m / 16 * 16;
  int i = 0;
  while (i < num_shapes && !(shapes[i].ta == ta && shapes[i].tb == tb && shapes[i].m == mm && shapes[i].n == n &&
                             shapes[i].k == k))
    ++i;
  if (i == num_shapes) {
    if (num_shapes == kMaxShapes) i = kMaxShapes - 1;  // the rest lumped into the last
    else shapes[num_shapes++] = (struct Shape){ta, tb, mm, n, k, 0, 0, 0};
  }
  shapes[i].calls++;
  shapes[i].seconds += dt;
  shapes[i].flops += 2.0 * m * n * k;
}

__attribute__((destructor)) static void report(void) {
  double seconds = 0, flops = 0;
  for (int i = 0; i < num_shapes; ++i) seconds += shapes[i].seconds, flops += shapes[i].flops;
  fprintf(stderr, "sgemm_profile: %.3f s CPU in cblas_sgemm, %.1f GFLOP/s\n", seconds, seconds > 0 ? flops / seconds / 1e9 : 0);
  for (int i = 0; i < num_shapes; ++i) {
    if (shapes[i].seconds < 0.01 * seconds) continue;
    fprintf(stderr, "  %s%s m %d..%d n %d k %d: %ld calls, %.3f s, %.1f GFLOP/s\n",
            shapes[i].ta == CblasNoTrans ? "N" : "T", shapes[i].tb == CblasNoTrans ? "N" : "T", shapes[i].m,
            shapes[i].m + 15, shapes[i].n, shapes[i].k, shapes[i].calls, shapes[i].seconds,
            shapes[i].flops / shapes[i].seconds / 1e9);
  }
  if (elements)
    fprintf(stderr, "  denormal elements: A %ld, B %ld (of %ld read), C after %ld\n", denormal_a, denormal_b, elements,
            denormal_c);
}
