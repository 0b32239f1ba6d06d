#include "wuxia/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <unordered_set>

#include "wuxia/backend.hpp"
#include "wuxia/batch.hpp"
#include "wuxia/error.hpp"
#include "wuxia/evaluate.hpp"
#include "wuxia/model.hpp"
#include "wuxia/rng.hpp"
#include "wuxia/utf8.hpp"

namespace wuxia {

double learning_rate(const TrainSettings& s, int64_t step) {
  if (s.warmup > 0 && step <= s.warmup) return s.lr * static_cast<double>(step) / static_cast<double>(s.warmup);
  const double span = static_cast<double>(std::max<int64_t>(1, s.decay_steps - s.warmup));
  const double progress = std::min(1.0, static_cast<double>(step - std::max<int64_t>(0, s.warmup)) / span);
  const double cosine = 0.5 * (1.0 + std::cos(3.14159265358979323846 * progress));
  return s.lr * (s.min_lr_ratio + (1.0 - s.min_lr_ratio) * cosine);
}

void split_names(const std::vector<NameFile>& files, uint64_t seed, std::vector<std::vector<std::u32string>>& train,
                 std::vector<std::vector<std::u32string>>& val) {
  std::vector<std::pair<int, std::size_t>> all;
  for (std::size_t s = 0; s < files.size(); ++s) {
    for (std::size_t i = 0; i < files[s].names.size(); ++i) all.emplace_back(static_cast<int>(s), i);
  }
  if (all.size() < 2) throw Error("need at least 2 names to split off a validation set (or give --val)");
  const std::size_t n_val = std::max<std::size_t>(1, std::min<std::size_t>(1000, all.size() / 10));
  const auto perm = permutation(all.size(), seed, rng::kValSplit, 0);
  std::vector<char> is_val(all.size(), 0);
  for (std::size_t i = 0; i < n_val; ++i) is_val[perm[i]] = 1;
  train.assign(files.size(), {});
  val.assign(files.size(), {});
  for (std::size_t k = 0; k < all.size(); ++k) {  // keep file order inside each list
    const auto [s, i] = all[k];
    (is_val[k] ? val : train)[s].push_back(files[s].names[i]);
  }
}

std::vector<Example> encode_names(const Vocab& vocab, const std::vector<std::vector<std::u32string>>& names) {
  std::vector<Example> out;
  for (std::size_t s = 0; s < names.size(); ++s) {
    for (const auto& n : names[s]) {
      Example e;
      if (!encode_name(vocab, static_cast<int>(s), n, e)) {
        throw Error("name '" + utf8::encode(n) + "' has a character outside the vocabulary");
      }
      out.push_back(std::move(e));
    }
  }
  return out;
}

StepOptions train_step_options(const TrainSettings& s, int64_t step) {
  StepOptions so;
  so.train = true;
  so.backward = true;
  so.seed = s.seed;
  so.step = static_cast<uint64_t>(step);
  return so;
}

AdamWArgs adamw_args(const TrainSettings& s, int64_t step) {
  AdamWArgs a;
  a.lr = learning_rate(s, step);
  a.weight_decay = s.weight_decay;
  a.clip = s.clip;
  a.step = step;
  return a;
}

namespace {

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const long t = std::lround(s);
  std::ostringstream o;
  if (t >= 3600) o << t / 3600 << "h" << std::setw(2) << std::setfill('0') << (t % 3600) / 60 << "m";
  else if (t >= 60) o << t / 60 << "m" << std::setw(2) << std::setfill('0') << t % 60 << "s";
  else o << t << "s";
  return o.str();
}

std::string format_rate(double r) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(1);
  if (r >= 1e6) o << r / 1e6 << "M";
  else if (r >= 1e3) o << r / 1e3 << "k";
  else o << r;
  return o.str();
}

}  // namespace

Checkpoint prepare_fresh_run(const TrainOptions& o, std::ostream& log) {
  if (o.data.empty()) throw Error("no training data: give --data FILE");
  std::vector<NameFile> files;
  for (const auto& d : o.data) {
    for (const auto& f : files) {
      if (f.style == d.style) throw Error("style '" + d.style + "' given twice; name them with --data STYLE=PATH");
    }
    files.push_back(load_name_file(d.path, d.style));
    if (!o.quiet) log << "data: " << describe(files.back()) << "\n";
  }
  Checkpoint ck;
  for (const auto& f : files) ck.styles.push_back(f.style);
  if (o.val_path.empty()) {
    split_names(files, o.settings.seed, ck.train_names, ck.val_names);
  } else {
    const DataSpec vs = parse_data_spec(o.val_path);
    int style = -1;
    for (std::size_t s = 0; s < files.size(); ++s) {
      if (files[s].style == vs.style) style = static_cast<int>(s);
    }
    if (style < 0 && files.size() == 1) style = 0;
    if (style < 0) throw Error("--val " + o.val_path + ": say which style it belongs to, as --val STYLE=PATH");
    const NameFile vf = load_name_file(vs.path, files[style].style);
    if (!o.quiet) log << "val:  " << describe(vf) << "\n";
    ck.train_names.assign(files.size(), {});
    ck.val_names.assign(files.size(), {});
    const std::unordered_set<std::u32string> val_set(vf.names.begin(), vf.names.end());
    std::size_t overlap = 0;
    for (std::size_t s = 0; s < files.size(); ++s) {
      for (const auto& n : files[s].names) {
        if (static_cast<int>(s) == style && val_set.count(n)) {
          ++overlap;
          continue;
        }
        ck.train_names[s].push_back(n);
      }
    }
    ck.val_names[style] = vf.names;
    if (overlap && !o.quiet) log << "note: " << overlap << " validation names also in the training data were removed from training\n";
  }
  std::vector<const std::u32string*> all;
  for (const auto* lists : {&ck.train_names, &ck.val_names}) {
    for (const auto& l : *lists) {
      for (const auto& n : l) all.push_back(&n);
    }
  }
  const Vocab vocab = Vocab::build(ck.styles, all);
  ck.chars = vocab.chars();
  ck.config = o.model;
  ck.config.vocab = vocab.size();
  ck.config.validate();
  ck.settings = o.settings;
  ck.params = init_params(ck.config, ck.settings.seed);
  return ck;
}

TrainResult train(const TrainOptions& o, Backend<float>& backend, std::ostream& log) {
  const bool resuming = !o.resume.empty();
  Checkpoint ck;
  if (resuming) {
    ck = load_checkpoint(o.resume);
    if (!o.data.empty() && !o.quiet) log << "note: --resume trains on the names stored in the checkpoint; --data is not read\n";
    if (!o.quiet) log << "resume: " << o.resume << " at step " << ck.state.step << "\n";
  } else {
    ck = prepare_fresh_run(o, log);
  }
  if (ck.settings.batch < 1) throw Error("--batch must be at least 1");
  const Vocab vocab = ck.vocab();
  const std::vector<Example> train_ex = encode_names(vocab, ck.train_names);
  const std::vector<Example> val_ex = encode_names(vocab, ck.val_names);
  if (train_ex.empty()) throw Error("no training names left after the validation split");
  Batcher batcher(train_ex, ck.settings.batch, ck.settings.seed);
  const std::size_t nb = batcher.batches_per_epoch();

  int64_t total = o.steps;
  if (total <= 0 && o.epochs > 0) total = static_cast<int64_t>(std::ceil(o.epochs * static_cast<double>(nb)));
  if (total <= 0) total = resuming ? ck.state.step : kDefaultSteps;
  if (!resuming) {
    if (ck.settings.warmup < 0) ck.settings.warmup = std::min<int64_t>(100, total / 10);
    if (ck.settings.decay_steps <= 0) ck.settings.decay_steps = total;
  }

  Model<float> model(backend, ck.config);
  // The workspace for the largest training and evaluation batch at once: a
  // workspace that grows mid-run moves, and the recorded steps go with it.
  const int eval_batch = std::max(ck.settings.batch, 256);
  int longest = batcher.max_steps();
  for (const Example& e : val_ex) longest = std::max(longest, e.steps());
  model.reserve(longest, eval_batch);
  model.set_params(ck.params);
  if (resuming && !ck.adam_m.empty()) {
    model.set_moment(0, ck.adam_m);
    model.set_moment(1, ck.adam_v);
  }

  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (!fs::is_directory(o.out_dir)) throw Error("--out " + o.out_dir + ": cannot create the folder" + (ec ? ": " + ec.message() : ""));
  // A run killed mid-write leaves its temporary file behind; nothing else
  // names files this way, so they are safe to clear.
  std::size_t stale = 0;
  for (const auto& e : fs::directory_iterator(o.out_dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() > 1 && name[0] == '.' && name.find(".safetensors.tmp-") != std::string::npos) {
      stale += fs::remove(e.path(), ec);
    }
  }
  if (stale && !o.quiet) log << "note: removed " << stale << " temporary file(s) left by an interrupted checkpoint write\n";
  const std::string best_path = (fs::path(o.out_dir) / "best.safetensors").string();
  const std::string last_path = (fs::path(o.out_dir) / "last.safetensors").string();
  std::ofstream metrics;
  if (!o.metrics_path.empty()) {
    metrics.open(o.metrics_path, std::ios::app);
    if (!metrics) throw Error("--metrics " + o.metrics_path + ": cannot open for writing");
  }

  if (!o.quiet) {
    std::size_t nparams = model.layout().total();
    log << "model: V=" << ck.config.vocab << " E=" << ck.config.embed << " H=" << ck.config.hidden
        << " L=" << ck.config.layers << " dropout=" << ck.config.dropout << " (" << nparams << " parameters) on "
        << backend.name() << "\n"
        << "train: " << train_ex.size() << " names, " << nb << " batches of " << ck.settings.batch
        << " per epoch; val: " << val_ex.size() << " names; steps " << ck.state.step << " -> " << total << "\n";
  }

  auto snapshot = [&]() {
    ck.params = model.get_params();
    ck.adam_m = model.get_moment(0);
    ck.adam_v = model.get_moment(1);
    return ck;
  };
  TrainResult res;
  res.best_val_loss = ck.state.best_val_loss;
  res.best_step = ck.state.best_step;
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  std::size_t tokens = 0;
  double loss_acc = 0;
  std::size_t loss_tokens = 0;
  double last_val = std::numeric_limits<double>::quiet_NaN();
  const int64_t first = ck.state.step + 1;
  // Steps run ahead of the host (on a GPU nothing in a step waits for it);
  // their losses are read back, which waits, only when a line is logged, an
  // evaluation is due, or, on a terminal, for the progress line every
  // kRefresh. Until then pending_targets holds each step's target count.
  constexpr auto kRefresh = std::chrono::milliseconds(250);
  std::vector<std::size_t> pending_targets;
  bool noted_recording_error = false;
  auto last_refresh = clock::now();
  double loss = std::numeric_limits<double>::quiet_NaN();  // of the last step read back
  auto read_back = [&](int64_t step) {
    const std::vector<Model<float>::StepLog> logged = model.take_step_log();
    if (logged.size() != pending_targets.size()) throw Error("internal: the step log lost steps");
    const int64_t first_pending = step - static_cast<int64_t>(logged.size()) + 1;
    for (std::size_t i = 0; i < logged.size(); ++i) {
      loss = logged[i].nll / static_cast<double>(pending_targets[i]);
      if (!std::isfinite(loss)) {
        throw Error("training diverged at step " + std::to_string(first_pending + static_cast<int64_t>(i)) +
                    ": the loss is " + (std::isnan(loss) ? "NaN" : "Inf") + " (try a lower --lr); " + best_path +
                    " is untouched");
      }
      loss_acc += logged[i].nll;
      loss_tokens += pending_targets[i];
    }
    pending_targets.clear();
  };
  for (int64_t step = first; step <= total; ++step) {
    const Batch batch = batcher.batch(static_cast<uint64_t>(step - 1));
    const AdamWArgs a = adamw_args(ck.settings, step);
    model.train_step(batch, train_step_options(ck.settings, step), a);
    if (!noted_recording_error && !model.recording_error().empty()) {
      noted_recording_error = true;
      if (!o.quiet) {
        log << "note: recording the training step failed (" << model.recording_error()
            << "); steps are issued op by op instead: same results, slower\n";
      }
    }
    pending_targets.push_back(batch.num_targets);
    ck.state.step = step;
    ck.state.epoch = (step - 1) / static_cast<int64_t>(nb);
    tokens += batch.num_targets;

    const bool do_eval = (o.eval_every > 0 && step % o.eval_every == 0) || step == total;
    const bool do_log = do_eval || (o.log_every > 0 && step % o.log_every == 0);
    const bool refresh = o.tty && clock::now() - last_refresh >= kRefresh;
    if (do_log || refresh) {
      read_back(step);  // before any checkpoint: a diverged step must not reach one
      last_refresh = clock::now();
    }
    const double elapsed = std::chrono::duration<double>(clock::now() - t0).count();
    const double rate = elapsed > 0 ? static_cast<double>(tokens) / elapsed : 0;
    if (do_eval) {
      const EvalResult ev = evaluate(model, val_ex, eval_batch);
      last_val = ev.loss();
      if (!std::isfinite(last_val)) {
        throw Error("training diverged at step " + std::to_string(step) + ": validation loss is not finite; " +
                    best_path + " is untouched");
      }
      if (last_val < ck.state.best_val_loss) {
        ck.state.best_val_loss = last_val;
        ck.state.best_step = step;
        save_checkpoint(best_path, snapshot());
      }
      save_checkpoint(last_path, snapshot());
    }
    if (do_log || refresh) {
      const double avg = loss_tokens ? loss_acc / static_cast<double>(loss_tokens) : loss;
      const double eta = (step > first && elapsed > 0) ? elapsed / static_cast<double>(step - first + 1) * static_cast<double>(total - step) : NAN;
      std::ostringstream line;
      line << "step " << step << "/" << total << " | epoch " << ck.state.epoch + 1 << " | loss " << std::fixed
           << std::setprecision(4) << avg;
      if (std::isfinite(last_val)) line << " | val " << last_val;
      line << " | " << format_rate(rate) << " tok/s | ETA " << format_duration(eta);
      if (!o.quiet) {
        if (o.tty) {
          log << "\r" << line.str() << "\033[K" << (do_eval ? "\n" : "") << std::flush;
        } else if (do_log) {
          log << line.str() << "\n" << std::flush;
        }
      }
      if (metrics && do_log) {
        nlohmann::json m{{"step", step}, {"epoch", ck.state.epoch + 1}, {"loss", avg}, {"lr", a.lr},
                         {"tokens_per_sec", rate}, {"elapsed_s", elapsed}};
        if (do_eval) m["val_loss"] = last_val;
        metrics << m.dump() << "\n" << std::flush;
      }
      if (do_log) {
        loss_acc = 0;
        loss_tokens = 0;
      }
    }
  }
  res.seconds = std::chrono::duration<double>(clock::now() - t0).count();
  res.tokens_per_sec = res.seconds > 0 ? static_cast<double>(tokens) / res.seconds : 0;
  res.steps = ck.state.step;
  res.best_val_loss = ck.state.best_val_loss;
  res.best_step = ck.state.best_step;
  if (first > total) {  // nothing to do: report where the checkpoint stands
    res.final_val_loss = evaluate(model, val_ex, eval_batch).loss();
    if (!o.quiet) log << "already at step " << ck.state.step << " (asked for " << total << "); nothing to train\n";
  } else {
    res.final_val_loss = last_val;
  }
  if (!o.quiet) {
    log << "done: step " << res.steps << ", val loss " << std::fixed << std::setprecision(4) << res.final_val_loss
        << ", best " << res.best_val_loss << " at step " << res.best_step << ", " << format_rate(res.tokens_per_sec)
        << " tok/s, " << format_duration(res.seconds) << "\n"
        << "checkpoints: " << best_path << ", " << last_path << "\n";
  }
  return res;
}

}  // namespace wuxia
