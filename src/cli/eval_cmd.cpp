#include <cmath>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "wuxia/error.hpp"
#include "wuxia/evaluate.hpp"
#include "wuxia/names.hpp"
#include "wuxia/utf8.hpp"

namespace wuxia::cli {

int cmd_eval(int argc, char** argv) {
  cxxopts::Options opts("wuxia eval", "Mean NLL per character (nats, END included) of name files under a checkpoint.");
  opts.positional_help("FILE...");
  // clang-format off
  opts.add_options()
    ("checkpoint", "checkpoint", cxxopts::value<std::string>()->default_value(default_checkpoint()))
    ("style", "style the names are scored as (default: the file's stem if it is a style, else the first)", cxxopts::value<std::string>())
    ("json", "print one JSON object")
    ("batch", "names per batch", cxxopts::value<int>()->default_value("256"))
    ("device", "cpu, cuda or auto", cxxopts::value<std::string>()->default_value("auto"))
    ("threads", "CPU threads (0 = all cores)", cxxopts::value<int>()->default_value("0"))
    ("files", "name files", cxxopts::value<std::vector<std::string>>());
  // clang-format on
  opts.parse_positional({"files"});
  cxxopts::ParseResult r;
  if (!parse(opts, argc, argv, r)) return 0;
  if (!r.count("files")) throw Error("give one or more name files to evaluate (see --help)");
  const int batch = r["batch"].as<int>();
  if (batch < 1) throw Error("--batch must be at least 1");
  const int threads = r["threads"].as<int>();
  if (threads < 0) throw Error("--threads must be 0 (all cores) or more");

  Loaded l = load_model(r["checkpoint"].as<std::string>(), r["device"].as<std::string>(), threads, std::cerr);
  int forced_style = -1;
  if (r.count("style")) {
    forced_style = l.vocab.style_index(r["style"].as<std::string>());
    if (forced_style < 0) throw Error("--style " + r["style"].as<std::string>() + ": not a style of this model");
  }
  std::vector<Example> examples;
  std::size_t skipped = 0, duplicates = 0;
  std::vector<std::string> skipped_examples;
  for (const auto& path : r["files"].as<std::vector<std::string>>()) {
    const DataSpec spec = parse_data_spec(path);
    int style = forced_style >= 0 ? forced_style : std::max(0, l.vocab.style_index(spec.style));
    const NameFile f = load_name_file(spec.path, spec.style);
    duplicates += f.duplicates;
    for (const auto& n : f.names) {
      Example e;
      if (encode_name(l.vocab, style, n, e)) {
        examples.push_back(std::move(e));
      } else {
        ++skipped;
        if (skipped_examples.size() < 5) skipped_examples.push_back(utf8::encode(n));
      }
    }
  }
  const EvalResult ev = examples.empty() ? EvalResult{} : evaluate(*l.model, examples, batch);
  if (r.count("json")) {
    nlohmann::json j{{"loss", examples.empty() ? nlohmann::json(nullptr) : nlohmann::json(ev.loss())},
                     {"perplexity", examples.empty() ? nlohmann::json(nullptr) : nlohmann::json(std::exp(ev.loss()))},
                     {"tokens", ev.tokens},
                     {"names", ev.names},
                     {"skipped", skipped},
                     {"duplicates", duplicates}};
    std::cout << j.dump() << "\n";
  } else {
    if (!examples.empty()) {
      std::cout << std::fixed << std::setprecision(4) << "loss " << ev.loss() << " nats/token, perplexity "
                << std::exp(ev.loss()) << ", " << ev.tokens << " tokens, " << ev.names << " names\n";
    }
    if (skipped) {
      std::cout << "skipped " << skipped << " names with characters outside the model's vocabulary (e.g.";
      for (const auto& s : skipped_examples) std::cout << " " << s;
      std::cout << ")\n";
    }
  }
  if (examples.empty()) {
    std::cerr << "wuxia eval: no name could be scored: every name has characters outside the vocabulary\n";
    return 1;
  }
  return 0;
}

}  // namespace wuxia::cli
