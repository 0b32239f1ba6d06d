#include "wuxia/store/run_folder.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "wuxia/platform/error.hpp"

namespace wuxia {

namespace {

namespace fs = std::filesystem;

// The PID the holder wrote into the lock file ("" if not written yet).
std::string holder_pid(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string s(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

RunFolder::RunFolder(const std::string& dir, bool resuming, bool overwrite) : dir_(dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir)) {
    throw Error("--out " + dir + ": cannot create the folder" + (ec ? ": " + ec.message() : ""));
  }
  // Creating the lock file is also the check that the folder can be written,
  // here rather than at the first checkpoint, minutes later.
  const std::string lock = (fs::path(dir) / ".lock").string();
  fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error("--out " + dir + ": cannot write in the folder: " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::string pid = holder_pid(fd_);
    ::close(fd_);
    if (err != EWOULDBLOCK) throw Error("--out " + dir + ": cannot lock " + lock + ": " + std::strerror(err));
    throw Error("--out " + dir + " is in use by another training run (" +
                (pid.empty() ? std::string("its PID not written yet") : "PID " + pid) + ", holding " + lock +
                "); wait for it to finish or give another --out");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int err = errno;
    ::close(fd_);
    throw Error("--out " + dir + ": cannot write " + lock + ": " + std::strerror(err));
  }
  had_best_ = fs::exists(fs::path(dir) / "best.safetensors");
  const bool had_last = fs::exists(fs::path(dir) / "last.safetensors");
  if ((had_best_ || had_last) && !resuming && !overwrite) {
    ::close(fd_);
    const std::string held = had_best_ && had_last ? "best.safetensors and last.safetensors"
                             : had_best_           ? "best.safetensors"
                                                   : "last.safetensors";
    throw Error("--out " + dir + " already holds a model (" + held + "): give --overwrite to replace it, --resume " +
                (fs::path(dir) / "last.safetensors").string() + " to continue it, or another --out");
  }
}

RunFolder::~RunFolder() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

void RunFolder::check(const std::string& dir, bool resuming, bool overwrite) {
  const RunFolder probe(dir, resuming, overwrite);
}

}  // namespace wuxia
