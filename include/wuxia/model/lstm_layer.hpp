#pragma once
// The recurrence of one LSTM layer over T steps of B rows, over the backend
// ops (haste's "run T steps"): the part of a layer that cannot be batched
// over time. The model (src/model/model.cpp) runs it inside its forward and
// backward passes, and `wuxia bench --op recurrent` times this same code
// against its GEMMs alone, so the benchmark never times stale code.
//
// All pointers are in the backend's memory, dense and row-major; rows are
// time-major (step t's B rows at offset t * B). Gate blocks are PyTorch's
// i, f, g, o along each row of 4H.
#include <string>

#include "wuxia/model/backend.hpp"

namespace wuxia {

// What a recurrence runs: the whole step (kCells), or its GEMMs alone, the
// benchmark's reference for what the cells cost on top of them.
enum class Recurrence { kCells, kGemmsOnly };

// The bfloat16 side of a recurrence under --precision bf16 (DESIGN
// "Backends"); the default, w_hh null, runs its GEMMs in T. With w_hh given,
// each step's recurrent GEMM takes bfloat16 inputs (Backend::gemm_bf16): the
// recurrent weights rounded once, and the other operand rounded as it is
// made, into `out`, which then holds every step's and serves the layer's
// weight-gradient GEMMs too. Any other way of running these steps (a fused
// recurrence op) must fill `out` alike and take bfloat16 GEMM inputs, or
// not be taken when w_hh is given: the model's GEMMs read `out` after.
//   w_hh: [4H, H] in, bfloat16: the recurrent weights the layer runs on.
//   out:  forward: [T*B, H] out, hs rounded; backward: [T*B, 4H] out,
//         dgates rounded. Must not alias any other argument.
struct RecurrentBf16 {
  const Bf16* w_hh = nullptr;
  Bf16* out = nullptr;
};

// Forward over steps 0..T-1. With kCells, on a backend whose
// Backend::recurrence() picks the fused path for (B, H) (fused_recurrence
// below), the whole loop is one lstm_recurrence_forward call instead.
//   w_hh:  [4H, H] in, the recurrent weights.
//   gates: [T*B, 4H] in: the input projection plus both biases of every
//          step; out: the gate activations (what backward needs).
//   cells: [T*B, H] out, the cell states.   hs: [T*B, H] out, the outputs.
template <class T, Recurrence kMode = Recurrence::kCells>
void lstm_layer_forward(Backend<T>& be, int steps, int B, int H, const T* w_hh, T* gates, T* cells, T* hs,
                        const RecurrentBf16& bf16 = {});

// Backward over steps T-1..0: the gate gradients of every step; fused as
// forward is.
//   gates, cells: from forward.   dh: [T*B, H] in, gradient wrt hs from above.
//   dc, dh_rec: [B, H] scratch (dc's contents are overwritten).
//   dgates: [T*B, 4H] out.  No argument may alias another.
template <class T, Recurrence kMode = Recurrence::kCells>
void lstm_layer_backward(Backend<T>& be, int steps, int B, int H, const T* w_hh, const T* gates, const T* cells,
                         const T* dh, T* dc, T* dh_rec, T* dgates, const RecurrentBf16& bf16 = {});

// Whether a layer of B rows and hidden size H runs the fused recurrence on
// `be`: never with RecurrencePath::kSteps; with kAuto where the backend
// expects it to be faster; always with kFused, which throws wuxia::Error
// naming --recurrence when the backend cannot run that shape.
template <class T>
bool fused_recurrence(const Backend<T>& be, int B, int H);

// --recurrence's values: "auto", "steps", "fused" (anything else throws,
// naming the flag), and back.
RecurrencePath parse_recurrence_path(const std::string& s);
const char* recurrence_path_name(RecurrencePath p);

}  // namespace wuxia
