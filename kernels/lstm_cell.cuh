#pragma once
// Host launchers of the fused LSTM cell (kernels/lstm_cell.cu): the same math
// as src/cpu/lstm_cell.cpp. All pointers are device memory, row-major; `b`
// rows (sequences) of hidden size `h`; gate blocks along each row of 4h in
// PyTorch's order i, f, g, o. Each launcher enqueues on `stream` and throws
// wuxia::Error when the launch fails.
#include <cuda_runtime.h>

namespace wuxia::cuda::kern {

// One step forward.
//   gates:  [b, 4h] in/out: pre-activations in; i, f, g, o after
//           sigmoid/sigmoid/tanh/sigmoid out (what backward needs).
//   c_prev: [b, h] in, or null for a zero state. May alias c (each element is
//           read before it is written, by the same thread).
//   c:      [b, h] out: new cell state.
//   h_out:  [b, h] out: new hidden state. Must not alias gates, c_prev or c.
void lstm_cell_forward(int b, int h, float* gates, const float* c_prev, float* c, float* h_out, cudaStream_t stream);

// One step backward.
//   gates:  [b, 4h] in: activations saved by forward.
//   c_prev: [b, h] in, or null (zeros).   c: [b, h] in: the step's cell state.
//   dh:     [b, h] in, or null: gradient reaching h_out from the layer above.
//   dh_rec: [b, h] in, or null: gradient reaching h_out from step t+1.
//   dc:     [b, h] in/out: gradient reaching c from step t+1 in, gradient to
//           c_prev out (in place, element by element).
//   dgates: [b, 4h] out: gradient wrt the gate pre-activations. Must not alias
//           any other argument.
void lstm_cell_backward(int b, int h, const float* gates, const float* c_prev, const float* c, const float* dh,
                        const float* dh_rec, float* dc, float* dgates, cudaStream_t stream);

}  // namespace wuxia::cuda::kern
