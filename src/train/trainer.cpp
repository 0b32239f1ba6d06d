#include "wuxia/train/trainer.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <limits>
#include <ostream>

#include "wuxia/platform/error.hpp"
#include "wuxia/store/run_folder.hpp"
#include "wuxia/train/interrupt.hpp"
#include "wuxia/train/progress.hpp"

namespace wuxia {

TrainResult train(const TrainOptions& o, Backend<float>& backend, std::ostream& log) {
  if (o.patience < 0) throw Error("--patience must be 0 (off) or more");
  TrainingRun run(o, backend, log);

  namespace fs = std::filesystem;
  const RunFolder folder(o.out_dir, !o.resume.empty(), o.overwrite);
  // Under the folder's lock no other run writes here, so a temporary file is
  // one an interrupted write left (remove_interrupted_writes also spares any
  // a live process still holds).
  const std::size_t stale = remove_interrupted_writes(o.out_dir);
  if (stale && !o.quiet)
    log << "note: removed " << stale << " temporary file(s) left by an interrupted checkpoint write\n";
  const std::string best_path = (fs::path(o.out_dir) / "best.safetensors").string();
  const std::string last_path = (fs::path(o.out_dir) / "last.safetensors").string();
  Progress progress(log, o.tty, o.quiet, o.metrics_path);

  TrainResult res;
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  const int64_t first = run.step() + 1, total = run.total_steps();
  std::size_t tokens = 0;
  TrainingRun::Losses since_log;  // losses read back since the last log line
  double last_val = std::numeric_limits<double>::quiet_NaN();
  bool noted_recording_error = false;
  // Steps run ahead of the host (on a GPU nothing in a step waits for it);
  // their losses are read back, which waits, only when a line is logged, an
  // evaluation is due, or, on a terminal, for the progress line every
  // kRefresh.
  constexpr auto kRefresh = std::chrono::milliseconds(250);
  auto last_refresh = clock::now();
  const InterruptGuard interrupt;
  bool wrote_best = false;
  for (int64_t step = first; step <= total; ++step) {
    if (interrupt.signal()) break;
    const Batch batch = run.batch(step);
    run.take_step(batch);
    tokens += batch.num_targets;
    if (!noted_recording_error && !run.recording_error().empty()) {
      noted_recording_error = true;
      if (!o.quiet) {
        log << "note: recording the training step failed (" << run.recording_error()
            << "); steps are issued op by op instead: same results, slower\n";
      }
    }
    const bool do_eval = (o.eval_every > 0 && step % o.eval_every == 0) || step == total;
    const bool do_log = do_eval || (o.log_every > 0 && step % o.log_every == 0);
    const bool refresh = o.tty && clock::now() - last_refresh >= kRefresh;
    if (!do_log && !refresh) continue;
    // Before any checkpoint: a diverged step must not reach one.
    const TrainingRun::Losses l = run.read_losses();
    since_log.nll += l.nll;
    since_log.tokens += l.tokens;
    since_log.last = l.steps ? l.last : since_log.last;
    last_refresh = clock::now();
    TrainingRun::Evaluation ev;
    if (do_eval) {
      ev = run.evaluate_and_checkpoint(best_path, last_path);
      last_val = ev.val_loss;
      wrote_best |= ev.improved;
    }
    const double elapsed = std::chrono::duration<double>(clock::now() - t0).count();
    Progress::Figures f;
    f.step = step;
    f.total = total;
    f.epoch = run.checkpoint().state.epoch + 1;
    f.loss = since_log.mean();
    f.val_loss = last_val;
    f.lr = learning_rate(run.settings(), step);
    f.tokens_per_sec = elapsed > 0 ? static_cast<double>(tokens) / elapsed : 0;
    f.elapsed_s = elapsed;
    f.eta_s = step > first && elapsed > 0
                  ? elapsed / static_cast<double>(step - first + 1) * static_cast<double>(total - step)
                  : std::numeric_limits<double>::quiet_NaN();
    if (do_log) {
      progress.log_line(f, do_eval);
      since_log = {};
    } else {
      progress.refresh(f);
    }
    for (const std::string& style : ev.repetition_ended) {
      if (!o.quiet) {
        log << "step " << step << ": " << style << "'s own validation loss has not improved for "
            << run.settings().balance_patience << " evaluations: its names are no longer repeated (--balance-patience)\n";
      }
    }
    if (do_eval && o.patience > 0 && ev.evals_since_best >= o.patience && step < total) {
      progress.finish_line();
      res.stopped_early = true;
      if (!o.quiet) {
        log << "stopping early at step " << step << ": " << ev.evals_since_best
            << " evaluations without a better validation loss (--patience " << o.patience << "); best " << std::fixed
            << std::setprecision(4) << run.checkpoint().state.best_val_loss << " at step "
            << run.checkpoint().state.best_step << std::defaultfloat << std::setprecision(6) << "\n";
      }
      break;
    }
  }
  progress.finish_line();
  res.signal = interrupt.signal();
  const bool save_on_signal = res.signal && run.step() >= first;
  if (save_on_signal) {
    // The steps since the last checkpoint are kept: last.safetensors holds
    // them; an evaluation would change the run's best and patience, which a
    // resumed run must continue exactly.
    run.read_losses();  // throws, writing nothing, on a diverged step
    run.snapshot();
    save_checkpoint(last_path, run.checkpoint());
    if (o.overwrite && !wrote_best && folder.had_best() && o.resume.empty()) {
      // best.safetensors is the replaced run's, not this one's: it must not pass for it.
      std::error_code ec;
      fs::remove(best_path, ec);
    }
  }
  const TrainState& state = run.checkpoint().state;
  res.seconds = std::chrono::duration<double>(clock::now() - t0).count();
  res.tokens_per_sec = res.seconds > 0 ? static_cast<double>(tokens) / res.seconds : 0;
  res.steps = state.step;
  res.best_val_loss = state.best_val_loss;
  res.best_step = state.best_step;
  if (first > total) {  // nothing to do: report where the checkpoint stands
    res.final_val_loss = run.evaluate();
    if (!o.quiet) log << "already at step " << state.step << " (asked for " << total << "); nothing to train\n";
  } else {
    res.final_val_loss = last_val;
  }
  std::string written;  // only files that exist: a resumed run may not have written a best of its own
  for (const std::string& p : {best_path, last_path}) {
    if (fs::exists(p)) written += (written.empty() ? "" : ", ") + p;
  }
  if (res.signal) {
    log << "interrupted by " << signal_name(res.signal) << " at step " << res.steps << ": "
        << (save_on_signal ? "wrote " + last_path : std::string("no step taken, nothing written"));
    if (fs::exists(last_path)) log << " (continue with: wuxia train --resume " << last_path << ")";
    log << "\ncheckpoints: " << (written.empty() ? "none" : written) << "\n";
    return res;
  }
  if (!o.quiet) {
    log << "done: step " << res.steps << ", val loss " << std::fixed << std::setprecision(4) << res.final_val_loss;
    if (run.settings().keep_last) {
      log << ", best.safetensors holds step " << res.best_step << " (--keep-last)";
    } else {
      log << ", best " << res.best_val_loss << " at step " << res.best_step;
    }
    log << ", " << format_rate(res.tokens_per_sec) << " tok/s, " << format_duration(res.seconds) << "\n"
        << "checkpoints: " << (written.empty() ? "none" : written) << "\n"
        << std::defaultfloat << std::setprecision(6);  // the stream's defaults again, for whoever writes next
  }
  return res;
}

}  // namespace wuxia
