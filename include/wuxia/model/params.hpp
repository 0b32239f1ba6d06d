#pragma once
// The model's configuration and the layout of its one flat parameter buffer
// (DESIGN "Parameters"): PyTorch's names and shapes, in this order:
// embedding.weight, then per layer k lstm.weight_ih_lk, weight_hh_lk,
// bias_ih_lk, bias_hh_lk, then fc.weight, fc.bias. Gradients and optimizer
// moments use the same layout.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace wuxia {

struct ModelConfig {
  // Defaults: the lowest validation loss on data/jinyong.txt (docs/defaults-sweep.md).
  int vocab = 0;          // V, from the Vocab
  int embed = 128;        // E
  int hidden = 96;        // H
  int layers = 1;         // L
  double dropout = 0.7;   // between layers and before the Linear, training only
  void validate() const;  // throws wuxia::Error naming the bad field
};

struct ParamInfo {
  std::string name;
  std::vector<int64_t> shape;
  std::size_t offset = 0;  // in elements, into the flat buffer
  std::size_t size = 0;    // elements
};

class ParamLayout {
 public:
  explicit ParamLayout(const ModelConfig& cfg);
  const std::vector<ParamInfo>& entries() const { return entries_; }
  const ParamInfo& at(const std::string& name) const;  // throws on unknown name
  std::size_t total() const { return total_; }

 private:
  void add(std::string name, std::vector<int64_t> shape);
  std::vector<ParamInfo> entries_;
  std::size_t total_ = 0;
};

// A [total] mask of the elements that belong to the tokens marked in
// `tokens` ([V], nonzero = marked): their embedding.weight rows, fc.weight
// rows and fc.bias entries; 0 elsewhere (the LSTM's weights are no token's).
// --base-rows-lr marks the tokens a fine-tune's base had this way.
std::vector<uint8_t> token_rows_mask(const ModelConfig& cfg, const std::vector<uint8_t>& tokens);

// PyTorch's default initialisation, drawn from the counter-based generator
// keyed by (seed, kInit, tensor index, element): Embedding N(0, 1); LSTM
// weights and biases U(-1/sqrt(H), 1/sqrt(H)); Linear U(-1/sqrt(H), 1/sqrt(H)).
std::vector<float> init_params(const ModelConfig& cfg, uint64_t seed);

}  // namespace wuxia
