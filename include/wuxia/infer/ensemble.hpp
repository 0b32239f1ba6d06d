#pragma once
// Several models read as one (DESIGN "The command line", its Ensembles): fine-tunes of the same data
// (other seeds, other validation draws) whose next-character distributions
// are averaged, p = (1/N) sum_i softmax(logits_i), a mixture of the members.
// The NLL of a name is -log of the mixture's probability at each step. One
// member is the single model itself, unchanged: eval, sample, score and name
// run through an Ensemble always, and N = 1 gives the model's own numbers to
// the bit.
#include <cstdint>
#include <string>
#include <vector>

#include "wuxia/data/vocab.hpp"
#include "wuxia/model/model.hpp"

namespace wuxia {

class Ensemble {
 public:
  // One model, not owned (it must outlive the ensemble).
  explicit Ensemble(Model<float>& model) : members_{&model} {}
  // Members, not owned, distinct objects (each keeps its own inference state),
  // in a fixed order; at least one. They must share one
  // vocabulary (check_same_vocab; the caller has the paths to name).
  explicit Ensemble(std::vector<Model<float>*> members);

  int size() const { return static_cast<int>(members_.size()); }
  const std::vector<Model<float>*>& members() const { return members_; }

  // Step-by-step inference, as Model's, every member stepped alike. The
  // "logits" returned [b, V] are the one member's own for N = 1, else
  // log of the mixture's probabilities: either way softmax of a row is the
  // ensemble's next-token distribution (temperature applies to it).
  void begin_inference(int b);
  void infer_select(const std::vector<int32_t>& keep, int fresh);
  const std::vector<float>& infer_step(const std::vector<int32_t>& tokens);

 private:
  std::vector<Model<float>*> members_;
  std::vector<float> mix_;  // [b, V]: the mixture's log-probabilities (N > 1)
  std::vector<float> acc_;  // [b, V]: the sum of the members' probabilities
  std::vector<float> e_;    // [V]: one row's exp, scratch
};

// Throws wuxia::Error naming both checkpoint paths and what differs (the
// style or character at the first differing place, or the counts) unless
// `a` and `b` hold the same styles and characters in the same order.
void check_same_vocab(const Vocab& a, const std::string& path_a, const Vocab& b, const std::string& path_b);

// -log((1/N) sum_i exp(-nll[i])): the mixture's NLL of one target from the
// members' NLLs of it (log-sum-exp, so tiny probabilities do not underflow).
double mixture_nll(const double* nll, int n);

}  // namespace wuxia
