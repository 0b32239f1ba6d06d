#include "wuxia/model/params.hpp"

#include <algorithm>
#include <cmath>

#include "wuxia/model/rng.hpp"
#include "wuxia/platform/error.hpp"

namespace wuxia {

void ModelConfig::validate() const {
  auto check = [](bool ok, const char* field, const std::string& why) {
    if (!ok) throw Error(std::string("model config: ") + field + " " + why);
  };
  check(vocab >= 2, "vocab", "must be at least 2 (END and one START)");
  check(embed >= 1 && embed <= 65536, "embed", "must be in 1..65536");
  check(hidden >= 1 && hidden <= 65536, "hidden", "must be in 1..65536");
  check(layers >= 1 && layers <= 16, "layers", "must be in 1..16");
  check(dropout >= 0.0 && dropout < 1.0, "dropout", "must be in [0, 1)");
}

ParamLayout::ParamLayout(const ModelConfig& c) {
  const int64_t V = c.vocab, E = c.embed, H = c.hidden;
  add("embedding.weight", {V, E});
  for (int k = 0; k < c.layers; ++k) {
    const std::string s = std::to_string(k);
    add("lstm.weight_ih_l" + s, {4 * H, k == 0 ? E : H});
    add("lstm.weight_hh_l" + s, {4 * H, H});
    add("lstm.bias_ih_l" + s, {4 * H});
    add("lstm.bias_hh_l" + s, {4 * H});
  }
  add("fc.weight", {V, H});
  add("fc.bias", {V});
}

void ParamLayout::add(std::string name, std::vector<int64_t> shape) {
  std::size_t n = 1;
  for (auto d : shape) n *= static_cast<std::size_t>(d);
  entries_.push_back({std::move(name), std::move(shape), total_, n});
  total_ += n;
}

const ParamInfo& ParamLayout::at(const std::string& name) const {
  for (const auto& e : entries_) {
    if (e.name == name) return e;
  }
  throw Error("no parameter named '" + name + "'");
}

std::vector<uint8_t> token_rows_mask(const ModelConfig& cfg, const std::vector<uint8_t>& tokens) {
  if (tokens.size() != static_cast<std::size_t>(cfg.vocab)) throw Error("token mask size does not match the vocabulary");
  const ParamLayout layout(cfg);
  std::vector<uint8_t> mask(layout.total(), 0);
  for (const char* name : {"embedding.weight", "fc.weight", "fc.bias"}) {
    const ParamInfo& e = layout.at(name);
    const std::size_t row = e.size / tokens.size();  // E, H or 1: every one is [V, ...]
    for (std::size_t t = 0; t < tokens.size(); ++t) {
      if (tokens[t]) std::fill_n(mask.begin() + static_cast<std::ptrdiff_t>(e.offset + t * row), row, uint8_t{1});
    }
  }
  return mask;
}

std::vector<float> init_params(const ModelConfig& cfg, uint64_t seed) {
  const ParamLayout layout(cfg);
  std::vector<float> p(layout.total());
  const double bound = 1.0 / std::sqrt(static_cast<double>(cfg.hidden));
  for (std::size_t t = 0; t < layout.entries().size(); ++t) {
    const auto& e = layout.entries()[t];
    float* dst = p.data() + e.offset;
    if (e.name == "embedding.weight") {
      for (std::size_t i = 0; i < e.size; ++i) {  // Box-Muller on two draws
        const double u1 = rng::uniform_double(seed, rng::kInit, t, 2 * i);
        const double u2 = rng::uniform_double(seed, rng::kInit, t, 2 * i + 1);
        dst[i] = static_cast<float>(std::sqrt(-2.0 * std::log1p(-u1)) * std::cos(6.283185307179586 * u2));
      }
    } else {
      for (std::size_t i = 0; i < e.size; ++i) {
        dst[i] = static_cast<float>((2.0 * rng::uniform_double(seed, rng::kInit, t, i) - 1.0) * bound);
      }
    }
  }
  return p;
}

}  // namespace wuxia
