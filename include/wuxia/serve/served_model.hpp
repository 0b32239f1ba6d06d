#pragma once
// A checkpoint that `wuxia serve` answers requests from (DESIGN "Serving").
// The checkpoint is read once; each request borrows a model of its own,
// because Model<float> keeps its activations and inference state in
// buffers of its own, so two requests may not share one. Borrowed models
// go back to the pool and are reused: at most `max_instances` exist, and a
// request that finds them all lent waits for one.
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/data/names.hpp"
#include "wuxia/data/vocab.hpp"
#include "wuxia/model/model.hpp"
#include "wuxia/naming/endings.hpp"
#include "wuxia/store/checkpoint.hpp"

namespace wuxia {

class ServedModel {
 public:
  // Loads and validates `path` (wuxia::Error names what is wrong), and
  // takes from `endings` the last characters its lists refuse.
  ServedModel(const std::string& path, int max_instances, const Endings& endings);
  ServedModel(const ServedModel&) = delete;
  ServedModel& operator=(const ServedModel&) = delete;

  const std::string& path() const { return path_; }
  const Checkpoint& checkpoint() const { return ck_; }
  const Vocab& vocab() const { return vocab_; }
  const NameSets& known_names() const { return known_; }
  // Endings::rare for this checkpoint's names: a per-model constant, so
  // taken once, not per request (the base's 265k names take milliseconds).
  const std::unordered_set<char32_t>& rare_endings() const { return rare_endings_; }

  // A model on a CPU backend of its own, with this checkpoint's weights.
  struct Instance {
    explicit Instance(const Checkpoint& ck);
    cpu::CpuBackend<float> backend;
    Model<float> model;
  };
  // A borrowed instance, returned to the pool when it dies.
  class Lease {
   public:
    Lease(ServedModel* owner, std::unique_ptr<Instance> inst) : owner_(owner), inst_(std::move(inst)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Model<float>& model() { return inst_->model; }

   private:
    ServedModel* owner_;  // the pool it goes back to; outlives the lease
    std::unique_ptr<Instance> inst_;
  };
  // A free instance, else a new one, else (all max_instances lent) the
  // first one returned. Thread-safe.
  Lease borrow();
  // How many instances exist (lent or free).
  std::size_t instances() const;

 private:
  std::string path_;
  Checkpoint ck_;
  Vocab vocab_;
  NameSets known_;
  std::unordered_set<char32_t> rare_endings_;
  std::size_t max_instances_;
  mutable std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Instance>> free_;
  std::size_t made_ = 0;
};

}  // namespace wuxia
