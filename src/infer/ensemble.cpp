#include "wuxia/infer/ensemble.hpp"

#include <algorithm>
#include <cmath>

#include "simd_math.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/platform/error.hpp"

namespace wuxia {

namespace {

// acc[k] += softmax(row)[k] for k < v. `row` [v] host logits (in), `e` [v]
// scratch (out, no alias), `acc` [v] running sums (in/out, no alias).
WUXIA_CPU_CLONES void add_softmax(int v, const float* __restrict row, float* __restrict e, float* __restrict acc) {
  float mx = row[0];
  for (int k = 1; k < v; ++k) mx = row[k] > mx ? row[k] : mx;
  for (int k = 0; k < v; ++k) e[k] = cpu::simd::exp(row[k] - mx);
  double z = 0;  // in double: the order of a float sum would matter
  for (int k = 0; k < v; ++k) z += e[k];
  const float inv_z = static_cast<float>(1.0 / z);
  for (int k = 0; k < v; ++k) acc[k] += e[k] * inv_z;
}

}  // namespace

Ensemble::Ensemble(std::vector<Model<float>*> members) : members_(std::move(members)) {
  if (members_.empty()) throw Error("an ensemble needs at least one model");
  for (std::size_t i = 0; i < members_.size(); ++i) {
    // Stepping one model twice would advance its state twice a step.
    for (std::size_t j = 0; j < i; ++j) {
      if (members_[i] == members_[j]) throw Error("an ensemble's members must be distinct models (load a file twice)");
    }
  }
  for (const auto* m : members_) {
    if (m->config().vocab != members_[0]->config().vocab)
      throw Error("ensemble members have different vocabulary sizes (" + std::to_string(m->config().vocab) + " and " +
                  std::to_string(members_[0]->config().vocab) + ")");
  }
}

void Ensemble::begin_inference(int b) {
  for (auto* m : members_) m->begin_inference(b);
}

void Ensemble::infer_select(const std::vector<int32_t>& keep, int fresh) {
  for (auto* m : members_) m->infer_select(keep, fresh);
}

const std::vector<float>& Ensemble::infer_step(const std::vector<int32_t>& tokens) {
  if (members_.size() == 1) return members_[0]->infer_step(tokens);
  const int n = size();
  const int V = members_[0]->config().vocab;
  const std::size_t rows = tokens.size();
  // Each member's softmax added up, then the log of the mean. Vectorised
  // (the exp of simd_math.hpp, clamped so that no probability is 0 and no
  // log -inf): with small models, mixing costs as much as the steps.
  acc_.assign(rows * V, 0.0f);
  e_.resize(V);
  for (int i = 0; i < n; ++i) {
    const std::vector<float>& logits = members_[i]->infer_step(tokens);
    for (std::size_t r = 0; r < rows; ++r) add_softmax(V, logits.data() + r * V, e_.data(), acc_.data() + r * V);
  }
  const float inv_n = 1.0f / static_cast<float>(n);
  mix_.resize(rows * V);
  for (std::size_t k = 0; k < mix_.size(); ++k) mix_[k] = std::log(acc_[k] * inv_n);
  return mix_;
}

double mixture_nll(const double* nll, int n) {
  if (n == 1) return nll[0];
  double lo = nll[0];  // the smallest NLL: the largest probability
  for (int i = 1; i < n; ++i) lo = std::min(lo, nll[i]);
  if (std::isinf(lo)) return lo;
  double s = 0;
  for (int i = 0; i < n; ++i) s += std::exp(lo - nll[i]);
  return lo - std::log(s / static_cast<double>(n));
}

void check_same_vocab(const Vocab& a, const std::string& path_a, const Vocab& b, const std::string& path_b) {
  const std::string both = path_a + " and " + path_b;
  const auto& sa = a.styles();
  const auto& sb = b.styles();
  for (std::size_t i = 0; i < std::min(sa.size(), sb.size()); ++i) {
    if (sa[i] != sb[i])
      throw Error(both + " cannot be an ensemble: their styles differ at place " + std::to_string(i + 1) + " ('" +
                  sa[i] + "' and '" + sb[i] + "')");
  }
  if (sa.size() != sb.size())
    throw Error(both + " cannot be an ensemble: they have " + std::to_string(sa.size()) + " and " +
                std::to_string(sb.size()) + " styles");
  const auto& ca = a.chars();
  const auto& cb = b.chars();
  for (std::size_t i = 0; i < std::min(ca.size(), cb.size()); ++i) {
    if (ca[i] != cb[i])
      throw Error(both + " cannot be an ensemble: their vocabularies differ at character " + std::to_string(i + 1) +
                  " ('" + utf8::encode(ca[i]) + "' and '" + utf8::encode(cb[i]) + "')");
  }
  if (ca.size() != cb.size())
    throw Error(both + " cannot be an ensemble: their vocabularies have " + std::to_string(ca.size()) + " and " +
                std::to_string(cb.size()) + " characters");
}

}  // namespace wuxia
