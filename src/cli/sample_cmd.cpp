#include <iostream>

#include "cli.hpp"
#include "wuxia/error.hpp"
#include "wuxia/sampler.hpp"
#include "wuxia/utf8.hpp"

namespace wuxia::cli {

int cmd_sample(int argc, char** argv) {
  const SampleOptions d;
  cxxopts::Options opts("wuxia sample", "Invent names from a checkpoint, one per line.");
  // clang-format off
  opts.add_options()
    ("checkpoint", "checkpoint to sample from", cxxopts::value<std::string>()->default_value(default_checkpoint()))
    ("n", "how many distinct names", cxxopts::value<int>()->default_value(std::to_string(d.n)))
    ("temperature", "softmax temperature (> 0; lower is safer)", cxxopts::value<double>()->default_value("1.0"))
    ("top-k", "sample among the k likeliest characters (0 = off, 1 = greedy)", cxxopts::value<int>()->default_value("0"))
    ("top-p", "nucleus sampling mass in (0, 1]", cxxopts::value<double>()->default_value("1.0"))
    ("prefix", "names start with these characters", cxxopts::value<std::string>()->default_value(""))
    ("style", "style (training corpus) to sample; default the first", cxxopts::value<std::string>())
    ("min-len", "shortest name, in characters", cxxopts::value<int>()->default_value(std::to_string(d.min_len)))
    ("max-len", "longest name, in characters", cxxopts::value<int>()->default_value(std::to_string(d.max_len)))
    ("novel", "only names not in the training or validation data")
    ("label", "add a column: new, train or val")
    ("seed", "random seed", cxxopts::value<uint64_t>()->default_value("1"))
    ("device", "cpu, cuda or auto", cxxopts::value<std::string>()->default_value("cpu"))
    ("threads", "CPU threads (0 = all cores)", cxxopts::value<int>()->default_value("1"));
  // clang-format on
  cxxopts::ParseResult r;
  if (!parse(opts, argc, argv, r)) return 0;
  SampleOptions o;
  o.n = r["n"].as<int>();
  o.temperature = r["temperature"].as<double>();
  o.top_k = r["top-k"].as<int>();
  o.top_p = r["top-p"].as<double>();
  o.prefix = utf8::decode_or_throw(r["prefix"].as<std::string>(), "--prefix");
  o.min_len = r["min-len"].as<int>();
  o.max_len = r["max-len"].as<int>();
  o.novel = r.count("novel") > 0;
  o.seed = r["seed"].as<uint64_t>();
  const int threads = r["threads"].as<int>();
  if (threads < 0) throw Error("--threads must be 0 (all cores) or more");
  if (o.n < 0) throw Error("-n must be 0 or more");
  if (!(o.temperature > 0)) throw Error("--temperature must be greater than 0");
  if (!(o.top_p > 0 && o.top_p <= 1)) throw Error("--top-p must be in (0, 1]");

  Loaded l = load_model(r["checkpoint"].as<std::string>(), r["device"].as<std::string>(), threads, std::cerr);
  if (r.count("style")) {
    o.style = l.vocab.style_index(r["style"].as<std::string>());
    if (o.style < 0) {
      std::string known;
      for (const auto& s : l.vocab.styles()) known += (known.empty() ? "" : ", ") + s;
      throw Error("--style " + r["style"].as<std::string>() + ": this model knows " + known);
    }
  }
  NameSets known;
  for (const auto& l2 : l.ck.train_names) known.train.insert(l2.begin(), l2.end());
  for (const auto& l2 : l.ck.val_names) known.val.insert(l2.begin(), l2.end());
  SampleStats stats;
  const auto names = sample_names(*l.model, l.vocab, known, o, &stats);
  const bool label = r.count("label") > 0;
  for (const auto& s : names) {
    std::cout << utf8::encode(s.name);
    if (label) std::cout << "\t" << origin_label(s.origin);
    std::cout << "\n";
  }
  if (static_cast<int>(names.size()) < o.n) {
    std::cerr << "wuxia sample: only " << names.size() << " of " << o.n << " names after " << stats.attempts
              << " attempts (" << stats.too_long << " too long, " << stats.repeats << " repeats, " << stats.not_novel
              << " not novel)\n";
    return 3;
  }
  return 0;
}

}  // namespace wuxia::cli
