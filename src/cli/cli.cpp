#include "cli.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include "wuxia/data/data_files.hpp"
#include "wuxia/model/lstm_layer.hpp"
#include "wuxia/platform/error.hpp"

namespace wuxia::cli {

std::string default_data_path() { return bundled_data_file("jinyong.txt"); }

std::vector<DataSpec> default_data() {
  return {{"jinyong", default_data_path()}, {"gulong", bundled_data_file("gulong.txt")}};
}

std::string default_checkpoint() { return std::string(kDefaultOut) + "/best.safetensors"; }

Loaded load_model(const std::string& path, const std::string& device, int threads, std::ostream& err) {
  Loaded l;
  if (!std::filesystem::exists(path)) {
    throw Error(path + ": no such checkpoint" +
                (path == default_checkpoint() ? " (train one first: wuxia train)" : std::string()));
  }
  l.ck = load_checkpoint_for_inference(path);
  l.vocab = l.ck.vocab();
  l.be = make_backend(device, threads);
  if (!l.be.note.empty()) err << l.be.note << "\n";
  l.model = std::make_unique<Model<float>>(*l.be.backend, l.ck.config);
  l.model->set_params(l.ck.params);
  return l;
}

std::vector<std::string> checkpoint_flags(const cxxopts::ParseResult& r, const std::string& fallback) {
  // From the arguments rather than as a vector option, which would split a
  // path at its commas.
  std::vector<std::string> paths;
  for (const auto& kv : r.arguments()) {
    if (kv.key() == "checkpoint") paths.push_back(kv.value());
  }
  if (paths.empty()) paths.push_back(fallback);
  return paths;
}

LoadedEnsemble load_ensemble(const std::vector<std::string>& paths, const std::string& device, int threads,
                             std::ostream& err) {
  LoadedEnsemble e;
  e.paths = paths;
  std::vector<Model<float>*> models;
  for (const auto& p : paths) {
    std::ostringstream again;  // the backend's note, said once
    e.members.push_back(load_model(p, device, threads, e.members.empty() ? err : again));
    check_same_vocab(e.members.front().vocab, paths.front(), e.members.back().vocab, p);
    models.push_back(e.members.back().model.get());
  }
  e.ensemble = std::make_unique<Ensemble>(std::move(models));
  return e;
}

LoadedEnsemble load_ensemble(const cxxopts::ParseResult& r, const std::string& fallback, std::ostream& err) {
  return load_ensemble(checkpoint_flags(r, fallback), device_flag(r), threads_flag(r), err);
}

std::string describe_lineage(const Checkpoint& ck) {
  std::string s;
  for (const auto& a : ck.lineage) {
    s += (s.empty() ? "fine-tuned from " : ", itself from ") + a.file + " (step " + std::to_string(a.step) + ", " +
         a.checksum + ")";
  }
  return s;
}

// cxxopts names the bad value but not its flag; find the flag in argv.
static std::string flag_of_bad_value(const std::string& what, int argc, char** argv) {
  const std::string open = "\u2018", close = "\u2019";  // cxxopts quotes with ‘ ’
  const auto a = what.find(open), b = what.find(close);
  if (a == std::string::npos || b == std::string::npos || b < a) return "";
  const std::string value = what.substr(a + open.size(), b - a - open.size());
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == value && i > 1 && argv[i - 1][0] == '-') return std::string(argv[i - 1]) + ": ";
    const auto eq = arg.find('=');
    if (arg[0] == '-' && eq != std::string::npos && arg.substr(eq + 1) == value) return arg.substr(0, eq) + ": ";
  }
  return "";
}

bool parse(cxxopts::Options& opts, int argc, char** argv, cxxopts::ParseResult& out, bool allow_positional) {
  opts.add_options()("h,help", "show this help");
  try {
    out = opts.parse(argc, argv);
  } catch (const cxxopts::exceptions::incorrect_argument_type& e) {
    throw Error(flag_of_bad_value(e.what(), argc, argv) + std::string(e.what()) + " (see --help)");
  } catch (const cxxopts::exceptions::exception& e) {
    throw Error(std::string(e.what()) + " (see --help)");
  }
  if (out.count("help")) {
    std::cout << opts.help() << std::flush;
    return false;
  }
  if (!allow_positional && !out.unmatched().empty()) {
    throw Error("unexpected argument '" + out.unmatched().front() + "' (see --help)");
  }
  return true;
}

void add_device_flags(cxxopts::Options& opts, const std::string& default_device, int default_threads) {
  // clang-format off
  opts.add_options()
    ("device", "cpu, cuda or auto", cxxopts::value<std::string>()->default_value(default_device))
    ("threads", "CPU threads (0 = all cores)", cxxopts::value<int>()->default_value(std::to_string(default_threads)));
  // clang-format on
}

std::string device_flag(const cxxopts::ParseResult& r) { return r["device"].as<std::string>(); }

void add_recurrence_flag(cxxopts::Options& opts) {
  // clang-format off
  opts.add_options()
    ("recurrence", "how each LSTM layer runs its T steps: steps (a GEMM and a cell kernel per step), fused (one "
     "launch per layer and direction, the weights on chip: GPU, small hidden sizes) or auto (fused where it is "
     "expected to be faster). The default is steps until a GPU has measured and checked the fused path "
     "(docs/PERF.md, \"The fused recurrence\")", cxxopts::value<std::string>()->default_value("steps"));
  // clang-format on
}

RecurrencePath recurrence_flag(const cxxopts::ParseResult& r) {
  return parse_recurrence_path(r["recurrence"].as<std::string>());
}

int threads_flag(const cxxopts::ParseResult& r) {
  const int t = r["threads"].as<int>();
  if (t < 0) throw Error("--threads must be 0 (all cores) or more");
  // More threads than cores only wait on each other; tens of thousands
  // exhaust memory or crash the OpenMP runtime.
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int cap = std::min(1024, 4 * cores);
  if (t > cap) {
    throw Error("--threads " + std::to_string(t) + ": at most " + std::to_string(cap) + " (4 per core on this " +
                std::to_string(cores) + "-core machine, and never over 1024); 0 uses every core");
  }
  return t;
}

int style_flag(const cxxopts::ParseResult& r, const Vocab& vocab, int fallback) {
  if (!r.count("style")) return fallback;
  const std::string name = r["style"].as<std::string>();
  const int s = vocab.style_index(name);
  if (s < 0) {
    std::string known;
    for (const auto& k : vocab.styles()) known += (known.empty() ? "" : ", ") + k;
    throw Error("--style " + name + ": this model knows " + known);
  }
  return s;
}

void add_convert_flag(cxxopts::Options& opts, const std::string& help) {
  opts.add_options()("convert", help, cxxopts::value<std::string>());
}

std::string convert_flag(const cxxopts::ParseResult& r) {
  if (!r.count("convert")) return "";
  const std::string c = r["convert"].as<std::string>();
  if (c != "t2s" && c != "s2t") throw Error("--convert " + c + ": expected t2s (traditional to simplified) or s2t");
  return c;
}

bool stdout_is_tty() { return ::isatty(STDOUT_FILENO) == 1; }

void add_model_flags(cxxopts::Options& opts, const ModelConfig& d, const std::string& dropout_help) {
  std::ostringstream dropout;  // "0.7", not std::to_string's "0.700000"
  dropout << d.dropout;
  // clang-format off
  opts.add_options()
    ("embed", "embedding size E", cxxopts::value<int>()->default_value(std::to_string(d.embed)))
    ("hidden", "LSTM hidden size H", cxxopts::value<int>()->default_value(std::to_string(d.hidden)))
    ("layers", "LSTM layers L", cxxopts::value<int>()->default_value(std::to_string(d.layers)))
    ("dropout", dropout_help, cxxopts::value<double>()->default_value(dropout.str()));
  // clang-format on
}

void read_model_flags(const cxxopts::ParseResult& r, ModelConfig& cfg) {
  cfg.embed = r["embed"].as<int>();
  cfg.hidden = r["hidden"].as<int>();
  cfg.layers = r["layers"].as<int>();
  cfg.dropout = r["dropout"].as<double>();
  if (cfg.embed < 1 || cfg.hidden < 1 || cfg.layers < 1)
    throw Error("--embed, --hidden and --layers must be at least 1");
  if (!(cfg.dropout >= 0 && cfg.dropout < 1)) throw Error("--dropout must be in [0, 1)");
}

}  // namespace wuxia::cli
