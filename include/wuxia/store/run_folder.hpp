#pragma once
// A training run's output folder (--out), held for as long as the run
// writes into it: an advisory lock (flock) on OUT/.lock that names its
// holder's PID, so that a second run into the same folder refuses instead
// of interleaving its checkpoints with the first's, and the start-up
// clean-up of interrupted writes never touches a live run's files
// (DESIGN "Training runs").
#include <string>

namespace wuxia {

class RunFolder {
 public:
  // Creates `dir` if needed and locks it. Throws wuxia::Error naming --out
  // when the folder cannot be created or written, when another process holds
  // it (naming that process's PID), and, unless `resuming` or `overwrite`,
  // when it already holds a model (best.safetensors or last.safetensors).
  RunFolder(const std::string& dir, bool resuming, bool overwrite);
  ~RunFolder();  // releases the lock; the lock file stays (removing it would race a newcomer)
  RunFolder(const RunFolder&) = delete;
  RunFolder& operator=(const RunFolder&) = delete;

  // The checks of the constructor, taken and released at once: for a command
  // that has other work to do (pretraining a base model) before its run.
  static void check(const std::string& dir, bool resuming, bool overwrite);

  const std::string& dir() const { return dir_; }
  // Whether best.safetensors was there when the folder was opened.
  bool had_best() const { return had_best_; }

 private:
  std::string dir_;
  int fd_ = -1;
  bool had_best_ = false;
};

}  // namespace wuxia
