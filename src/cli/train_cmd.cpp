#include <filesystem>
#include <iostream>
#include <set>

#include "cli.hpp"
#include "wuxia/data/data_files.hpp"
#include "wuxia/data/names.hpp"
#include "wuxia/platform/device.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/train/base_model.hpp"
#include "wuxia/train/progress.hpp"
#include "wuxia/train/trainer.hpp"

namespace wuxia::cli {

namespace {

// What `wuxia train`'s flags ask for.
struct TrainRequest {
  TrainOptions options;
  BaseRoute route;
  std::set<std::string> given;  // the flags given that the fine-tune defaults yield to (without "--")
  int threads = 0;
};

TrainRequest train_request(const cxxopts::ParseResult& r) {
  TrainRequest q;
  TrainOptions& o = q.options;
  if (r.count("data")) {
    for (const auto& s : r["data"].as<std::vector<std::string>>()) o.data.push_back(parse_data_spec(s));
  }
  if (r.count("val")) o.val_path = r["val"].as<std::string>();
  if (r.count("resume")) o.resume = r["resume"].as<std::string>();
  if (r.count("init")) o.init = r["init"].as<std::string>();
  o.convert = convert_flag(r);
  o.patience = r["patience"].as<int64_t>();
  if (o.data.empty() && o.resume.empty()) o.data = default_data();
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
  o.settings.new_styles_lr = r["new-styles-lr"].as<double>();
  o.settings.balance_styles = r["balance-styles"].as<bool>();
  o.settings.balance_patience = r["balance-patience"].as<int64_t>();
  o.settings.keep_last = r["keep-last"].as<bool>();
  o.settings.weight_drop = r["weight-drop"].as<double>();
  o.settings.locked_dropout = r["locked-dropout"].as<double>();
  o.settings.embed_dropout = r["embed-dropout"].as<double>();
  o.settings.warmup = r["warmup"].as<int64_t>();
  o.settings.decay_steps = r["decay-steps"].as<int64_t>();
  o.settings.seed = r["seed"].as<uint64_t>();
  o.settings.precision = parse_precision(r["precision"].as<std::string>(), "--precision");
  // 0 is "not given" to TrainOptions: a given 0 is refused here.
  if (r.count("steps") && r["steps"].as<int64_t>() < 1) throw Error("--steps must be at least 1");
  if (r.count("epochs") && !(r["epochs"].as<double>() > 0)) throw Error("--epochs must be greater than 0");
  if (r.count("steps")) o.steps = r["steps"].as<int64_t>();
  if (r.count("epochs")) o.epochs = r["epochs"].as<double>();
  o.eval_every = r["eval-every"].as<int64_t>();
  o.log_every = r["log-every"].as<int64_t>();
  q.threads = threads_flag(r);
  if (r.count("metrics")) {
    o.metrics_path = r["metrics"].as<std::string>();
    check_metrics_file(o.metrics_path);  // before the data and model load
  }
  o.quiet = r.count("quiet") > 0;
  o.tty = stdout_is_tty();
  o.validate();
  // What the user gave of what a checkpoint fixes: checked against it on
  // --resume (equal values pass), and the model's shape on --init.
  for (const char* f : {"embed",
                        "hidden",
                        "layers",
                        "dropout",
                        "batch",
                        "lr",
                        "weight-decay",
                        "clip",
                        "warmup",
                        "decay-steps",
                        "seed",
                        "val",
                        "ema",
                        "l2sp",
                        "base-rows-lr",
                        "new-styles-lr",
                        "balance-styles",
                        "balance-patience",
                        "keep-last",
                        "weight-drop",
                        "locked-dropout",
                        "embed-dropout",
                        "precision"}) {
    if (r.count(f)) o.given.push_back(f);
  }
  q.given.insert(o.given.begin(), o.given.end());
  for (const char* f : {"steps", "epochs", "eval-every", "patience"}) {
    if (r.count(f)) q.given.insert(f);
  }
  q.route.dir = r["base-dir"].as<std::string>();
  q.route.steps = r["base-steps"].as<int64_t>();
  q.route.from_scratch = r.count("from-scratch") > 0;
  if (q.route.steps < 1) throw Error("--base-steps must be at least 1");
  return q;
}

}  // namespace

int cmd_train(int argc, char** argv) {
  const TrainOptions defaults;
  const TrainSettings d;
  cxxopts::Options opts(
      "wuxia train",
      "Train a name model. With no flags: fine-tune on the bundled casts of Jin Yong and Gu Long\n"
      "(styles jinyong, gulong) into runs/default, from a base model pretrained on the bundled\n"
      "corpora (data/ancient.txt, data/poets.txt) into\n"
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
    ("balance-styles", "repeat each style's names in an epoch about as often as the largest style has names, so that a small cast weighs as much as a large one (--balance-styles=false: off; default off, on in the default route's fine-tune)", cxxopts::value<bool>()->default_value("false")->implicit_value("true"))
    ("balance-patience", "with --balance-styles: stop repeating a style's names once its own validation loss has not improved for N evaluations (0 = never; default 0, 3 in a fine-tune of two lists or more, as the default route's)", cxxopts::value<int64_t>()->default_value("0"))
    ("keep-last", "best.safetensors holds the weights of the last evaluation, not of the best one, and --patience stops nothing (--keep-last=false: off; default off, on in a fine-tune of two lists or more, as the default route's)", cxxopts::value<bool>()->default_value("false")->implicit_value("true"))
    ("new-styles-lr", "fine-tuning: the learning rate's factor, 1 or more, for the START tokens of the styles new to the model (each starts as the mean of the base's, so that two new styles start alike and need a faster rate to part); the rest keep the rate (1 = off; the default route's fine-tune: " + std::to_string(static_cast<int>(kTuneNewStylesLr)) + ")", cxxopts::value<double>()->default_value("1"))
    ("l2sp", "fine-tuning: pull the weights toward the ones it started from with this strength, instead of weight decay toward zero (L2-SP, decoupled as AdamW's decay; 0 = off)", cxxopts::value<double>()->default_value("0"))
    ("weight-drop", "DropConnect on the recurrent weights (weight_hh): each step drops this share of them (AWD-LSTM's weight drop; 0 = off)", cxxopts::value<double>()->default_value("0"))
    ("locked-dropout", "locked (variational) dropout on each LSTM layer's input, the embeddings included, and on the output layer's: one mask per name, the same at every character (0 = off)", cxxopts::value<double>()->default_value("0"))
    ("embed-dropout", "drop whole tokens: each step zeroes this share of the embedding's rows (AWD-LSTM's embedding dropout; 0 = off)", cxxopts::value<double>()->default_value("0"))
    ("warmup", "warm-up steps (-1 = min(100, steps/10))", cxxopts::value<int64_t>()->default_value("-1"))
    ("decay-steps", "cosine decay horizon (0 = the run's step count)", cxxopts::value<int64_t>()->default_value("0"))
    ("steps", "train until this step (default " + std::to_string(kDefaultSteps) + ")", cxxopts::value<int64_t>())
    ("epochs", "train for this many epochs instead of --steps", cxxopts::value<double>())
    ("eval-every", "evaluate and checkpoint every N steps", cxxopts::value<int64_t>()->default_value(std::to_string(defaults.eval_every)))
    ("log-every", "plain log line every N steps (when not on a terminal)", cxxopts::value<int64_t>()->default_value(std::to_string(defaults.log_every)))
    ("seed", "random seed (init, split, shuffling, dropout)", cxxopts::value<uint64_t>()->default_value(std::to_string(d.seed)))
    ("patience", "stop after N evaluations without a better validation loss (0 = never)", cxxopts::value<int64_t>()->default_value("0"))
    ("init", "start from this checkpoint's weights (fine-tuning: new names, fresh optimizer and schedule)", cxxopts::value<std::string>())
    ("from-scratch", "do not start from the base model: a fresh model on --data alone")
    ("base-dir", "where the base model is made and kept", cxxopts::value<std::string>()->default_value("runs/base"))
    ("base-steps", "steps to pretrain the base when it is made", cxxopts::value<int64_t>()->default_value(std::to_string(kBaseSteps)))
    ("tf32", "GPU GEMMs on TF32 tensor cores: faster, 10-bit mantissa products (docs/PERF.md: its effect on the loss)")
    ("precision", "GEMM inputs: fp32, or bf16 (rounded to bfloat16, FP32 sums; weights, optimizer, cell state and loss stay FP32; on the CPU emulated, no faster); kept in the checkpoint", cxxopts::value<std::string>()->default_value("fp32"))
    ("resume", "continue from a checkpoint (its names, config, settings and state); flags it fixes may be repeated with its values", cxxopts::value<std::string>())
    ("metrics", "append metrics as JSON lines to this file", cxxopts::value<std::string>())
    ("q,quiet", "print only errors and the final line");
  // clang-format on
  add_model_flags(opts, defaults.model, "dropout between layers and before the output layer");
  add_device_flags(opts, "auto", 0);
  add_recurrence_flag(opts);
  add_convert_flag(opts, "convert the names read: t2s (traditional to simplified) or s2t (OpenCC)");
  cxxopts::ParseResult r;
  if (!parse(opts, argc, argv, r)) return 0;

  const TrainRequest q = train_request(r);
  BackendChoice be = make_backend(device_flag(r), q.threads, r.count("tf32") > 0);
  if (!be.note.empty()) std::cerr << be.note << "\n";
  be.backend->set_recurrence(recurrence_flag(r));
  TrainOptions o = q.options;
  const TrainResult res = train_with_route(o, q.route, q.given, *be.backend, std::cout);
  if (res.signal) return 128 + res.signal;  // the shell's convention: 130 for SIGINT, 143 for SIGTERM
  if (o.quiet) {
    std::cout << "step " << res.steps << " val_loss " << res.final_val_loss << " best " << res.best_val_loss << "\n";
  }
  return 0;
}

}  // namespace wuxia::cli
