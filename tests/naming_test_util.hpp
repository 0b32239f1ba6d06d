#pragma once
// What the naming tests share (test_naming, test_readings, test_sounds_like,
// test_titles_sources, test_today): the bundled tables, an error's message,
// and a tiny naming model trained on names each suite chooses to make its
// point (a search without its masks would propose them).
#include <memory>
#include <sstream>

#include <gtest/gtest.h>
#include <string>

#include "test_util.hpp"
#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/naming/name_search.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/checkpoint.hpp"
#include "wuxia/train/trainer.hpp"

namespace wuxia::test {

// data/ as the tests' build found it, loaded once.
inline const NamingData& bundled_naming() {
  static const NamingData d = NamingData::load(WUXIA_DATA_DIR);
  return d;
}

// Every pair of `chars` after each of `surnames`, and each character alone
// after it, one name a line: 李丽美, 李丽, ...
inline std::string pair_names(std::u32string_view surnames, std::u32string_view chars) {
  std::string names;
  for (char32_t s : surnames) {
    for (char32_t a : chars) {
      for (char32_t b : chars) names += utf8::encode(std::u32string{s, a, b}) + "\n";
      names += utf8::encode(std::u32string{s, a}) + "\n";
    }
  }
  return names;
}

// A model (E 16, H 32, one layer) trained on `names` in style ancient for
// `steps` steps: quick, and it learns the pairs well enough that the search
// would propose them.
class TinyNamingModel {
 public:
  TinyNamingModel(const std::string& names, uint64_t seed, int steps) {
    write_file(dir_.file("names.txt"), names);
    TrainOptions o;
    o.data = {{"ancient", dir_.file("names.txt")}};
    o.out_dir = dir_.file("run");
    o.model = ModelConfig{0, 16, 32, 1, 0.0};
    o.settings.batch = 64;
    o.settings.lr = 1e-2;
    o.settings.seed = seed;
    o.steps = steps;
    o.eval_every = steps;
    o.quiet = true;
    std::ostringstream log;
    train(o, be_, log);
    ck_ = std::make_unique<Checkpoint>(load_checkpoint(dir_.file("run/last.safetensors")));
    model_ = std::make_unique<Model<float>>(be_, ck_->config);
    model_->set_params(ck_->params);
  }
  Checkpoint& checkpoint() { return *ck_; }
  Model<float>& model() { return *model_; }
  std::vector<NameProposal> propose(const NameRequest& q, NameSearchStats* stats = nullptr,
                                    const NamingData& d = bundled_naming()) {
    return propose_names(*model_, ck_->vocab(), KnownNames{&ck_->train_names, &ck_->val_names}, d, q, stats);
  }

 private:
  TempDir dir_;
  cpu::CpuBackend<float> be_;
  std::unique_ptr<Checkpoint> ck_;
  std::unique_ptr<Model<float>> model_;
};

// A suite whose tests share one TinyNamingModel, trained once for the suite:
// Derived::names(), Derived::kSeed and Derived::kSteps say on what.
template <class Derived>
class TinyNamingSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    m_ = std::make_unique<TinyNamingModel>(Derived::names(), Derived::kSeed, Derived::kSteps);
    ck_ = &m_->checkpoint();
    model_ = &m_->model();
  }
  static void TearDownTestSuite() {
    m_.reset();
    ck_ = nullptr;
    model_ = nullptr;
  }
  static inline std::unique_ptr<TinyNamingModel> m_;
  static inline Checkpoint* ck_ = nullptr;
  static inline Model<float>* model_ = nullptr;
};

}  // namespace wuxia::test
