#include "wuxia/model/lstm_layer.hpp"

#include <cstddef>

#include "wuxia/platform/error.hpp"

namespace wuxia {

// The fused op takes FP32 weights and never fills RecurrentBf16::out, which
// the BF16 GEMMs after the loop read: under --precision bf16 the steps run
// (auto), and a forced --recurrence fused is refused. True: the fused path
// may be considered.
namespace {
template <class T>
bool may_fuse(const Backend<T>& be, const RecurrentBf16& bf16) {
  if (!bf16.w_hh) return true;
  if (be.recurrence() == RecurrencePath::kFused) {
    throw Error("--recurrence fused does not run with --precision bf16 yet (its kernels take FP32 weights): give "
                "--recurrence steps or auto");
  }
  return false;
}
}  // namespace

template <class T>
bool fused_recurrence(const Backend<T>& be, int B, int H) {
  switch (be.recurrence()) {
    case RecurrencePath::kSteps:
      return false;
    case RecurrencePath::kAuto: {
      const auto fit = be.lstm_recurrence_fit(B, H);
      return fit.runs && fit.faster;
    }
    case RecurrencePath::kFused: {
      const auto fit = be.lstm_recurrence_fit(B, H);
      if (!fit.runs) {
        throw Error("--recurrence fused: batch " + std::to_string(B) + ", hidden " + std::to_string(H) + ": " +
                    fit.why_not + " (--recurrence steps or auto runs it step by step)");
      }
      return true;
    }
  }
  return false;
}

RecurrencePath parse_recurrence_path(const std::string& s) {
  if (s == "auto") return RecurrencePath::kAuto;
  if (s == "steps") return RecurrencePath::kSteps;
  if (s == "fused") return RecurrencePath::kFused;
  throw Error("--recurrence " + s + ": expected auto, steps or fused");
}

const char* recurrence_path_name(RecurrencePath p) {
  switch (p) {
    case RecurrencePath::kAuto:
      return "auto";
    case RecurrencePath::kSteps:
      return "steps";
    case RecurrencePath::kFused:
      return "fused";
  }
  return "?";
}

template <class T, Recurrence kMode>
void lstm_layer_forward(Backend<T>& be, int steps, int B, int H, const T* w_hh, T* gates, T* cells, T* hs,
                        const RecurrentBf16& bf16) {
  const int G4 = 4 * H;
  if constexpr (kMode == Recurrence::kCells) {
    if (may_fuse(be, bf16) && fused_recurrence(be, B, H))
      return be.lstm_recurrence_forward(steps, B, H, w_hh, gates, cells, hs);
  }
  const std::size_t BH = static_cast<std::size_t>(B) * H, BG = static_cast<std::size_t>(B) * G4;
  for (int t = 0; t < steps; ++t) {
    T* gt = gates + t * BG;
    if (t > 0 && bf16.w_hh) {
      be.gemm_bf16(false, true, B, G4, H, T(1), bf16.out + (t - 1) * BH, H, bf16.w_hh, H, T(1), gt, G4);
    } else if (t > 0) {
      be.gemm(false, true, B, G4, H, T(1), hs + (t - 1) * BH, H, w_hh, H, T(1), gt, G4);
    }
    if constexpr (kMode == Recurrence::kCells) {
      be.lstm_cell_forward(B, H, gt, t > 0 ? cells + (t - 1) * BH : nullptr, cells + t * BH, hs + t * BH);
    }
    if (bf16.w_hh) be.cast_bf16(BH, hs + t * BH, bf16.out + t * BH);
  }
}

template <class T, Recurrence kMode>
void lstm_layer_backward(Backend<T>& be, int steps, int B, int H, const T* w_hh, const T* gates, const T* cells,
                         const T* dh, T* dc, T* dh_rec, T* dgates, const RecurrentBf16& bf16) {
  const int G4 = 4 * H;
  if constexpr (kMode == Recurrence::kCells) {
    if (may_fuse(be, bf16) && fused_recurrence(be, B, H)) {
      return be.lstm_recurrence_backward(steps, B, H, w_hh, gates, cells, dh, dc, dh_rec, dgates);
    }
  }
  const std::size_t BH = static_cast<std::size_t>(B) * H, BG = static_cast<std::size_t>(B) * G4;
  if constexpr (kMode == Recurrence::kCells) be.fill(BH, T(0), dc);
  for (int t = steps - 1; t >= 0; --t) {
    if constexpr (kMode == Recurrence::kCells) {
      be.lstm_cell_backward(B, H, gates + t * BG, t > 0 ? cells + (t - 1) * BH : nullptr, cells + t * BH, dh + t * BH,
                            t < steps - 1 ? dh_rec : nullptr, dc, dgates + t * BG);
    }
    if (bf16.w_hh) be.cast_bf16(BG, dgates + t * BG, bf16.out + t * BG);
    if (t > 0 && bf16.w_hh) {
      be.gemm_bf16(false, false, B, H, G4, T(1), bf16.out + t * BG, G4, bf16.w_hh, H, T(0), dh_rec, H);
    } else if (t > 0) {
      be.gemm(false, false, B, H, G4, T(1), dgates + t * BG, G4, w_hh, H, T(0), dh_rec, H);
    }
  }
}

#define WUXIA_INSTANTIATE(T, M)                                                                                       \
  template void lstm_layer_forward<T, M>(Backend<T>&, int, int, int, const T*, T*, T*, T*, const RecurrentBf16&);    \
  template void lstm_layer_backward<T, M>(Backend<T>&, int, int, int, const T*, const T*, const T*, const T*, T*, T*, \
                                          T*, const RecurrentBf16&);
WUXIA_INSTANTIATE(float, Recurrence::kCells)
WUXIA_INSTANTIATE(double, Recurrence::kCells)
WUXIA_INSTANTIATE(float, Recurrence::kGemmsOnly)
#undef WUXIA_INSTANTIATE
template bool fused_recurrence<float>(const Backend<float>&, int, int);
template bool fused_recurrence<double>(const Backend<double>&, int, int);

}  // namespace wuxia
