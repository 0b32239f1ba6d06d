#include "wuxia/train/progress.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "wuxia/platform/error.hpp"

namespace wuxia {

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const long t = std::lround(s);
  std::ostringstream o;
  if (t >= 3600)
    o << t / 3600 << "h" << std::setw(2) << std::setfill('0') << (t % 3600) / 60 << "m";
  else if (t >= 60)
    o << t / 60 << "m" << std::setw(2) << std::setfill('0') << t % 60 << "s";
  else
    o << t << "s";
  return o.str();
}

std::string format_rate(double r) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(1);
  if (r >= 1e6)
    o << r / 1e6 << "M";
  else if (r >= 1e3)
    o << r / 1e3 << "k";
  else
    o << r;
  return o.str();
}

void check_metrics_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec) || std::filesystem::file_size(path, ec) == 0) return;
  const std::string refuse = "--metrics " + path + ": the file exists and is not a metrics file of wuxia train (";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("--metrics " + path + ": cannot open for reading");
  // The first line only, and at most this much of it: a metrics line is ~150 bytes.
  constexpr std::size_t kMaxLine = 4096;
  std::string line(kMaxLine + 1, '\0');
  in.read(line.data(), static_cast<std::streamsize>(line.size()));
  line.resize(static_cast<std::size_t>(in.gcount()));
  const auto nl = line.find('\n');
  if (nl == std::string::npos && line.size() > kMaxLine) {
    throw Error(refuse + "line 1 is over " + std::to_string(kMaxLine) +
                " bytes); appending would corrupt it: give a new file");
  }
  line.resize(std::min(nl, line.size()));
  const auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw Error(refuse + "line 1 is not a JSON object); appending would corrupt it: give a new file");
  }
  if (!j.contains("step") || !j.contains("loss")) {
    throw Error(refuse + "line 1 has no \"step\" and \"loss\"); appending would corrupt it: give a new file");
  }
}

Progress::Progress(std::ostream& log, bool tty, bool quiet, const std::string& metrics_path)
    : log_(log), tty_(tty), quiet_(quiet), metrics_path_(metrics_path) {
  if (!metrics_path.empty()) {
    check_metrics_file(metrics_path);
    metrics_.open(metrics_path, std::ios::app);
    if (!metrics_) throw Error("--metrics " + metrics_path + ": cannot open for writing");
  }
}

std::string Progress::text(const Figures& f) const {
  std::ostringstream line;
  line << "step " << f.step << "/" << f.total << " | epoch " << f.epoch << " | loss " << std::fixed
       << std::setprecision(4) << f.loss;
  if (std::isfinite(f.val_loss)) line << " | val " << f.val_loss;
  line << " | " << format_rate(f.tokens_per_sec) << " tok/s | ETA " << format_duration(f.eta_s);
  return line.str();
}

void Progress::log_line(const Figures& f, bool evaluated) {
  if (!quiet_) {
    if (tty_) {
      // A line with an evaluation stays on screen; the others are redrawn over.
      log_ << "\r" << text(f) << "\033[K" << (evaluated ? "\n" : "") << std::flush;
      line_open_ = !evaluated;
    } else {
      log_ << text(f) << "\n" << std::flush;
    }
  }
  if (metrics_.is_open()) {
    nlohmann::json m{{"step", f.step},
                     {"epoch", f.epoch},
                     {"loss", f.loss},
                     {"lr", f.lr},
                     {"tokens_per_sec", f.tokens_per_sec},
                     {"elapsed_s", f.elapsed_s}};
    if (evaluated) m["val_loss"] = f.val_loss;
    errno = 0;
    metrics_ << m.dump() << "\n" << std::flush;
    if (!metrics_) {
      throw Error("--metrics " + metrics_path_ + ": write failed" +
                  (errno ? std::string(": ") + std::strerror(errno) : std::string()) + " (at step " +
                  std::to_string(f.step) + "; the checkpoints written so far are whole)");
    }
  }
}

void Progress::refresh(const Figures& f) {
  if (quiet_ || !tty_) return;
  log_ << "\r" << text(f) << "\033[K" << std::flush;
  line_open_ = true;
}

void Progress::finish_line() {
  if (line_open_) log_ << "\n";
  line_open_ = false;
}

}  // namespace wuxia
