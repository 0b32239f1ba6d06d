#include <cmath>
#include <filesystem>
#include <iostream>
#include <set>

#include "cli.hpp"
#include "wuxia/base_model.hpp"
#include "wuxia/convert.hpp"
#include "wuxia/data_files.hpp"
#include "wuxia/device.hpp"
#include "wuxia/error.hpp"
#include "wuxia/names.hpp"
#include "wuxia/progress.hpp"
#include "wuxia/run_folder.hpp"
#include "wuxia/trainer.hpp"

namespace wuxia::cli {

namespace {

// Whether this run fine-tunes from the base model (the default route): not
// when resuming, initialising from another checkpoint, asked not to, given a
// shape of its own, or on names the corpora hardly know (say, Latin letters).
bool use_base(const TrainOptions& o, const cxxopts::ParseResult& r, std::ostream& log) {
  if (!o.resume.empty() || !o.init.empty() || r.count("from-scratch")) return false;
  for (const char* f : {"embed", "hidden", "layers"}) {
    if (r.count(f)) {
      if (!o.quiet) log << "note: --" << f << " given: training from scratch (the base model has its own shape)\n";
      return false;
    }
  }
  std::vector<std::vector<std::u32string>> names;
  for (const auto& d : o.data) {
    NameFile f = load_name_file(d.path, d.style);
    if (!o.convert.empty()) f = convert_names(std::move(f), ScriptConverter(o.convert));
    names.push_back(std::move(f.names));
  }
  // Against the base's vocabulary once it exists (its header alone), else
  // the corpora it will be made from.
  const std::string base_last = (std::filesystem::path(r["base-dir"].as<std::string>()) / "last.safetensors").string();
  const bool have_base = std::filesystem::exists(base_last);
  const double coverage =
      have_base ? vocab_coverage(peek_checkpoint(base_last).chars, names) : corpus_coverage(bundled_data_dir(), names);
  if (coverage < 0.5) {
    if (!o.quiet) {
      log << "note: training from scratch: " << static_cast<int>(100 * coverage) << "% of the data's characters occur "
          << (have_base ? "in the base model " + base_last + "'s vocabulary" : std::string("in the bundled corpora"))
          << ", too few for the base model to help (--init CKPT fine-tunes from a model anyway)\n";
    }
    return false;
  }
  return true;
}

// The base model in `dir`, pretrained (or its pretraining resumed, if it was
// interrupted) until its last checkpoint reached `steps`. Returns its best
// checkpoint, or "" when a signal stopped the pretraining (`signal` says which).
std::string ensure_base(const std::string& dir, int64_t steps, Backend<float>& backend, bool quiet, int& signal) {
  namespace fs = std::filesystem;
  const std::string last = (fs::path(dir) / "last.safetensors").string();
  const std::string best = (fs::path(dir) / "best.safetensors").string();
  TrainOptions o = base_training(bundled_data_dir(), dir, steps);
  o.quiet = quiet;
  o.tty = stdout_is_tty();
  if (fs::exists(last)) {
    const int64_t at = peek_checkpoint(last).state.step;  // the header alone: best is checked when it is loaded
    if (at >= steps && fs::exists(best)) {
      if (!quiet) std::cout << "base: " << best << " (step " << at << "); --from-scratch trains without it\n";
      return best;
    }
    if (!quiet)
      std::cout << "base: pretraining in " << dir << " stopped at step " << at << "; going on to step " << steps
                << "\n";
    TrainOptions more;
    more.resume = last;
    more.out_dir = dir;
    more.steps = steps;
    more.eval_every = o.eval_every;
    more.quiet = quiet;
    more.tty = o.tty;
    signal = train(more, backend, std::cout).signal;
  } else {
    if (!quiet) {
      std::cout << "base: none in " << dir << " yet: pretraining one on the bundled corpora (" << steps
                << " steps, once; later runs reuse it; --from-scratch skips it)\n";
    }
    signal = train(o, backend, std::cout).signal;
  }
  if (signal) return "";
  if (!quiet) std::cout << "fine-tuning from " << best << "\n";
  return best;
}

}  // namespace

int cmd_train(int argc, char** argv) {
  TrainOptions o;
  const TrainSettings d;
  cxxopts::Options opts(
      "wuxia train",
      "Train a name model. With no flags: fine-tune on the bundled Jin Yong cast into runs/default,\n"
      "from a base model pretrained on the bundled corpora (data/ancient.txt, data/poets.txt) into\n"
      "--base-dir the first time (minutes on a CPU; later runs reuse it). --from-scratch, --init or a\n"
      "model-shape flag (--embed, --hidden, --layers) trains without that base.");
  // clang-format off
  opts.add_options()
    ("data", "name file, as PATH (style = file stem) or STYLE=PATH; repeat for several styles", cxxopts::value<std::vector<std::string>>())
    ("val", "validation names (default: min(1000, 10%) of the data, seeded)", cxxopts::value<std::string>())
    ("out", "output folder for best.safetensors and last.safetensors (default " + std::string(kDefaultOut) + "; with --resume, the checkpoint's folder)", cxxopts::value<std::string>())
    ("overwrite", "replace the model already in --out (otherwise a new run refuses a folder that holds one)")
    ("batch", "names per batch", cxxopts::value<int>()->default_value(std::to_string(d.batch)))
    ("lr", "peak learning rate (AdamW)", cxxopts::value<double>()->default_value(std::to_string(d.lr)))
    ("weight-decay", "AdamW decoupled weight decay", cxxopts::value<double>()->default_value(std::to_string(d.weight_decay)))
    ("clip", "global gradient-norm clip (0 = off)", cxxopts::value<double>()->default_value(std::to_string(d.clip)))
    ("ema", "keep an exponential moving average of the weights with this decay (e.g. 0.999; warmed up as min(DECAY, (1+step)/(10+step))), evaluated and saved as best (0 = off)", cxxopts::value<double>()->default_value("0"))
    ("base-rows-lr", "fine-tuning: the learning rate's factor, in (0, 1], for the rows the base learnt (the embedding, output weight and bias rows of the END token, the base's styles' START tokens and its characters); a new character's or style's rows and the LSTM's weights keep the full rate (1 = off)", cxxopts::value<double>()->default_value("1"))
    ("l2sp", "fine-tuning: pull the weights toward the ones it started from with this strength, instead of weight decay toward zero (L2-SP, decoupled as AdamW's decay; 0 = off)", cxxopts::value<double>()->default_value("0"))
    ("weight-drop", "DropConnect on the recurrent weights (weight_hh): each step drops this share of them (AWD-LSTM's weight drop; 0 = off)", cxxopts::value<double>()->default_value("0"))
    ("locked-dropout", "locked (variational) dropout on each LSTM layer's input, the embeddings included, and on the output layer's: one mask per name, the same at every character (0 = off)", cxxopts::value<double>()->default_value("0"))
    ("embed-dropout", "drop whole tokens: each step zeroes this share of the embedding's rows (AWD-LSTM's embedding dropout; 0 = off)", cxxopts::value<double>()->default_value("0"))
    ("warmup", "warm-up steps (-1 = min(100, steps/10))", cxxopts::value<int64_t>()->default_value("-1"))
    ("decay-steps", "cosine decay horizon (0 = the run's step count)", cxxopts::value<int64_t>()->default_value("0"))
    ("steps", "train until this step (default " + std::to_string(kDefaultSteps) + ")", cxxopts::value<int64_t>())
    ("epochs", "train for this many epochs instead of --steps", cxxopts::value<double>())
    ("eval-every", "evaluate and checkpoint every N steps", cxxopts::value<int64_t>()->default_value(std::to_string(o.eval_every)))
    ("log-every", "plain log line every N steps (when not on a terminal)", cxxopts::value<int64_t>()->default_value(std::to_string(o.log_every)))
    ("seed", "random seed (init, split, shuffling, dropout)", cxxopts::value<uint64_t>()->default_value(std::to_string(d.seed)))
    ("patience", "stop after N evaluations without a better validation loss (0 = never)", cxxopts::value<int64_t>()->default_value("0"))
    ("init", "start from this checkpoint's weights (fine-tuning: new names, fresh optimizer and schedule)", cxxopts::value<std::string>())
    ("from-scratch", "do not start from the base model: a fresh model on --data alone")
    ("base-dir", "where the base model is made and kept", cxxopts::value<std::string>()->default_value("runs/base"))
    ("base-steps", "steps to pretrain the base when it is made", cxxopts::value<int64_t>()->default_value(std::to_string(kBaseSteps)))
    ("tf32", "GPU GEMMs on TF32 tensor cores: faster, 10-bit mantissa products (docs/PERF.md: its effect on the loss)")
    ("resume", "continue from a checkpoint (its names, config, settings and state); flags it fixes may be repeated with its values", cxxopts::value<std::string>())
    ("metrics", "append metrics as JSON lines to this file", cxxopts::value<std::string>())
    ("q,quiet", "print only errors and the final line");
  // clang-format on
  add_model_flags(opts, o.model, "dropout between layers and before the output layer");
  add_device_flags(opts, "auto", 0);
  add_convert_flag(opts, "convert the names read: t2s (traditional to simplified) or s2t (OpenCC)");
  cxxopts::ParseResult r;
  if (!parse(opts, argc, argv, r)) return 0;

  if (r.count("data")) {
    for (const auto& s : r["data"].as<std::vector<std::string>>()) o.data.push_back(parse_data_spec(s));
  }
  if (r.count("val")) o.val_path = r["val"].as<std::string>();
  if (r.count("resume")) o.resume = r["resume"].as<std::string>();
  if (r.count("init")) o.init = r["init"].as<std::string>();
  o.convert = convert_flag(r);
  o.patience = r["patience"].as<int64_t>();
  if (o.data.empty() && o.resume.empty()) o.data.push_back({"jinyong", default_data_path()});
  if (r.count("out")) {
    o.out_dir = r["out"].as<std::string>();
  } else if (!o.resume.empty()) {  // a resumed run carries on where it was
    const std::string folder = std::filesystem::path(o.resume).parent_path().string();
    o.out_dir = folder.empty() ? "." : folder;
  } else {
    o.out_dir = kDefaultOut;
  }
  o.overwrite = r.count("overwrite") > 0;
  read_model_flags(r, o.model);
  o.settings.batch = r["batch"].as<int>();
  o.settings.lr = r["lr"].as<double>();
  o.settings.weight_decay = r["weight-decay"].as<double>();
  o.settings.clip = r["clip"].as<double>();
  o.settings.ema = r["ema"].as<double>();
  o.settings.l2sp = r["l2sp"].as<double>();
  o.settings.base_rows_lr = r["base-rows-lr"].as<double>();
  o.settings.weight_drop = r["weight-drop"].as<double>();
  o.settings.locked_dropout = r["locked-dropout"].as<double>();
  o.settings.embed_dropout = r["embed-dropout"].as<double>();
  o.settings.warmup = r["warmup"].as<int64_t>();
  o.settings.decay_steps = r["decay-steps"].as<int64_t>();
  o.settings.seed = r["seed"].as<uint64_t>();
  if (r.count("steps")) o.steps = r["steps"].as<int64_t>();
  if (r.count("epochs")) o.epochs = r["epochs"].as<double>();
  o.eval_every = r["eval-every"].as<int64_t>();
  o.log_every = r["log-every"].as<int64_t>();
  const int threads = threads_flag(r);
  if (r.count("metrics")) {
    o.metrics_path = r["metrics"].as<std::string>();
    check_metrics_file(o.metrics_path);  // before the data and model load
  }
  o.quiet = r.count("quiet") > 0;
  o.tty = stdout_is_tty();

  auto need = [](bool ok, const std::string& msg) {
    if (!ok) throw Error(msg);
  };
  need(o.settings.batch >= 1, "--batch must be at least 1");
  need(o.settings.lr > 0 && std::isfinite(o.settings.lr), "--lr must be greater than 0");
  need(o.settings.weight_decay >= 0, "--weight-decay must be 0 or more");
  need(o.settings.clip >= 0, "--clip must be 0 (off) or more");
  need(o.settings.ema >= 0 && o.settings.ema < 1, "--ema must be in [0, 1) (0 = off), e.g. 0.999");
  need(o.settings.l2sp >= 0 && std::isfinite(o.settings.l2sp), "--l2sp must be 0 (off) or more");
  need(o.settings.base_rows_lr > 0 && o.settings.base_rows_lr <= 1,
       "--base-rows-lr must be in (0, 1] (1 = off), e.g. 0.3");
  for (const char* f : {"weight-drop", "locked-dropout", "embed-dropout"}) {
    const double p = r[f].as<double>();
    need(p >= 0 && p < 1, std::string("--") + f + " must be in [0, 1) (0 = off), e.g. 0.2");
  }
  need(o.settings.warmup >= -1, "--warmup must be -1 (auto) or more");
  need(o.settings.decay_steps >= 0, "--decay-steps must be 0 (auto) or more");
  need(!r.count("steps") || o.steps >= 1, "--steps must be at least 1");
  need(!r.count("epochs") || o.epochs > 0, "--epochs must be greater than 0");
  need(!(r.count("steps") && r.count("epochs")), "give --steps or --epochs, not both");
  need(o.eval_every >= 1, "--eval-every must be at least 1");
  need(o.log_every >= 1, "--log-every must be at least 1");
  need(o.patience >= 0, "--patience must be 0 (off) or more");
  need(o.resume.empty() || o.init.empty(),
       "--init and --resume do not go together: --resume continues a run, --init starts a new one from a model's "
       "weights");
  need(o.model.embed >= 1 && o.model.hidden >= 1 && o.model.layers >= 1,
       "--embed, --hidden and --layers must be at least 1");
  need(o.model.dropout >= 0 && o.model.dropout < 1, "--dropout must be in [0, 1)");
  // What the user gave of what a checkpoint fixes: checked against it on
  // --resume (equal values pass), and the model's shape on --init.
  for (const char* f : {"embed", "hidden", "layers", "dropout", "batch", "lr", "weight-decay", "clip", "warmup",
                        "decay-steps", "seed", "val", "ema", "l2sp", "base-rows-lr", "weight-drop",
                        "locked-dropout", "embed-dropout"}) {
    if (r.count(f)) o.given.push_back(f);
  }
  const int64_t base_steps = r["base-steps"].as<int64_t>();
  need(base_steps >= 1, "--base-steps must be at least 1");

  need(o.resume.empty() || std::filesystem::exists(o.resume), "--resume " + o.resume + ": no such file");
  need(!o.overwrite || o.resume.empty(), "--overwrite and --resume do not go together: --resume continues the model");
  BackendChoice be = make_backend(device_flag(r), threads, r.count("tf32") > 0);
  if (!be.note.empty()) std::cerr << be.note << "\n";
  // Now, not after the data is read or a base model pretrained: the folder
  // can be written, no other run holds it, and it holds no model to lose.
  RunFolder::check(o.out_dir, !o.resume.empty(), o.overwrite);
  if (use_base(o, r, std::cout)) {
    int signal = 0;
    const std::string base_dir = r["base-dir"].as<std::string>();
    try {
      o.init = ensure_base(base_dir, base_steps, *be.backend, o.quiet, signal);
    } catch (const Error& e) {  // its folder is --base-dir, not --out
      throw Error("the base model in --base-dir " + base_dir + ": " + e.what());
    }
    if (signal) return 128 + signal;
  }
  if (!o.init.empty()) {
    std::set<std::string> given(o.given.begin(), o.given.end());
    for (const char* f : {"steps", "epochs", "eval-every", "patience"}) {
      if (r.count(f)) given.insert(f);
    }
    apply_fine_tune_defaults(o, given);
  }
  const TrainResult res = train(o, *be.backend, std::cout);
  if (res.signal) return 128 + res.signal;  // the shell's convention: 130 for SIGINT, 143 for SIGTERM
  if (o.quiet) {
    std::cout << "step " << res.steps << " val_loss " << res.final_val_loss << " best " << res.best_val_loss << "\n";
  }
  return 0;
}

}  // namespace wuxia::cli
