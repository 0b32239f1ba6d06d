#pragma once
// What a training run shows while it runs: on a terminal one progress line
// redrawn in place (loss, validation loss, tokens/s, ETA), otherwise a plain
// log line every --log-every steps; and, with --metrics FILE, the same
// figures as JSON lines (appended) for plotting (scripts/plot_metrics.py).
#include <cstdint>
#include <fstream>
#include <iosfwd>
#include <string>

namespace wuxia {

// "1h05m", "3m07s", "42s"; "?" when unknown.
std::string format_duration(double seconds);
// "113.4k", "2.1M", "950.0".
std::string format_rate(double per_second);

// Refuses (wuxia::Error naming --metrics and the file) a file that exists
// and is not a metrics file: one whose first line is not a JSON object with
// this class's "step" and "loss". Appending into a checkpoint, a name list
// or another program's log would corrupt it. Missing, empty and non-regular
// files (/dev/stdout, a pipe) pass.
void check_metrics_file(const std::string& path);

class Progress {
 public:
  // Throws wuxia::Error naming --metrics when the file cannot be opened.
  Progress(std::ostream& log, bool tty, bool quiet, const std::string& metrics_path);

  struct Figures {
    int64_t step = 0, total = 0, epoch = 0;  // epoch 1-based
    double loss = 0;                         // mean training loss since the last log line
    double val_loss;                         // the latest evaluation's, NaN before the first
    double lr = 0;
    double tokens_per_sec = 0;
    double elapsed_s = 0;
    double eta_s;  // NaN when unknown
  };
  // A log line (and a metrics record; `evaluated`: val_loss is this step's).
  // Throws wuxia::Error naming --metrics when the record cannot be written.
  void log_line(const Figures& f, bool evaluated);
  // Redraws the terminal's progress line (nothing when not on a terminal).
  void refresh(const Figures& f);
  // Ends the redrawn line, so that what is printed next starts on its own.
  void finish_line();

 private:
  std::string text(const Figures& f) const;
  std::ostream& log_;
  bool tty_, quiet_;
  bool line_open_ = false;
  std::string metrics_path_;
  std::ofstream metrics_;
};

}  // namespace wuxia
