#include "wuxia/model/lstm_layer.hpp"

#include <cstddef>

namespace wuxia {

template <class T, Recurrence kMode>
void lstm_layer_forward(Backend<T>& be, int steps, int B, int H, const T* w_hh, T* gates, T* cells, T* hs,
                        const RecurrentBf16& bf16) {
  const int G4 = 4 * H;
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

}  // namespace wuxia
