#include "wuxia/serve/served_model.hpp"

#include <filesystem>

#include "wuxia/platform/error.hpp"

namespace wuxia {

ServedModel::ServedModel(const std::string& path, int max_instances, const Endings& endings)
    : path_(path), max_instances_(max_instances < 1 ? 1 : static_cast<std::size_t>(max_instances)) {
  if (!std::filesystem::exists(path)) throw Error(path + ": no such checkpoint");
  // Weights and names only: the optimizer's moments are never read here.
  ck_ = load_checkpoint_for_inference(path);
  vocab_ = ck_.vocab();
  known_ = ck_.known_names();
  rare_endings_ = endings.rare(ck_.train_names, ck_.val_names);
}

// The backend's thread count is left alone (0): a request's worker sets its
// own (src/serve/server.cpp), since OpenMP's count belongs to the thread.
ServedModel::Instance::Instance(const Checkpoint& ck) : backend(0), model(backend, ck.config) {
  model.set_params(ck.params);
}

ServedModel::Lease ServedModel::borrow() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    returned_.wait(lock, [&] { return !free_.empty() || made_ < max_instances_; });
    if (!free_.empty()) {
      auto inst = std::move(free_.back());
      free_.pop_back();
      return Lease(this, std::move(inst));
    }
    ++made_;
  }
  // Made outside the lock: copying the weights in takes a while, and the
  // other requests need not wait for it.
  try {
    return Lease(this, std::make_unique<Instance>(ck_));
  } catch (...) {
    std::lock_guard<std::mutex> lock(mu_);
    --made_;
    returned_.notify_one();
    throw;
  }
}

std::size_t ServedModel::instances() const {
  std::lock_guard<std::mutex> lock(mu_);
  return made_;
}

ServedModel::Lease::~Lease() {
  if (!inst_) return;  // moved from
  {
    std::lock_guard<std::mutex> lock(owner_->mu_);
    owner_->free_.push_back(std::move(inst_));
  }
  owner_->returned_.notify_one();
}

}  // namespace wuxia
