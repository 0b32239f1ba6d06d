#include <cmath>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli.hpp"
#include "wuxia/data/convert.hpp"
#include "wuxia/data/names.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/infer/evaluate.hpp"
#include "wuxia/platform/error.hpp"

namespace wuxia::cli {

namespace {

// A fine-tuned model's ancestors, nearest first ([] for one trained from scratch).
nlohmann::json lineage_json(const Checkpoint& ck) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& a : ck.lineage) list.push_back({{"file", a.file}, {"checksum", a.checksum}, {"step", a.step}});
  return list;
}

}  // namespace

int cmd_eval(int argc, char** argv) {
  cxxopts::Options opts("wuxia eval", "Mean NLL per character (nats, END included) of name files under a checkpoint.");
  opts.positional_help("FILE...");
  // clang-format off
  opts.add_options()
    ("checkpoint", "checkpoint; repeat for an ensemble (the mixture of their next-character distributions)", cxxopts::value<std::string>()->default_value(default_checkpoint()))
    ("style", "style the names are scored as (default: the file's stem if it is a style, else the first the model was trained on)", cxxopts::value<std::string>())
    ("json", "print one JSON object")
    ("batch", "names per batch", cxxopts::value<int>()->default_value("256"))
    ("files", "name files", cxxopts::value<std::vector<std::string>>());
  // clang-format on
  add_device_flags(opts, "auto", 0);
  add_convert_flag(opts, "convert the names read first: t2s (traditional to simplified) or s2t (OpenCC)");
  opts.parse_positional({"files"});
  cxxopts::ParseResult r;
  if (!parse(opts, argc, argv, r)) return 0;
  if (!r.count("files")) throw Error("give one or more name files to evaluate (see --help)");
  const int batch = r["batch"].as<int>();
  if (batch < 1) throw Error("--batch must be at least 1");
  const std::string convert = convert_flag(r);
  std::optional<ScriptConverter> converter;
  if (!convert.empty()) converter.emplace(convert);

  LoadedEnsemble e = load_ensemble(r, default_checkpoint(), std::cerr);
  const Loaded& l = e.first();
  std::vector<DataSpec> files;
  for (const auto& path : r["files"].as<std::vector<std::string>>()) files.push_back(parse_data_spec(path));
  const EvalNames in =
      eval_names(l.vocab, files, style_flag(r, l.vocab, -1), l.ck.default_style(), converter ? &*converter : nullptr);
  const std::vector<Example>& examples = in.examples;
  const std::size_t skipped = in.skipped, duplicates = in.duplicates;
  const std::vector<std::string>& skipped_examples = in.skipped_examples;
  const EvalResult ev = examples.empty() ? EvalResult{} : evaluate(*e.ensemble, examples, batch);
  if (r.count("json")) {
    nlohmann::json j{{"loss", examples.empty() ? nlohmann::json(nullptr) : nlohmann::json(ev.loss())},
                     {"perplexity", examples.empty() ? nlohmann::json(nullptr) : nlohmann::json(std::exp(ev.loss()))},
                     {"tokens", ev.tokens},
                     {"names", ev.names},
                     {"skipped", skipped},
                     {"duplicates", duplicates},
                     {"step", l.ck.state.step},
                     {"lineage", lineage_json(l.ck)}};
    nlohmann::json members = nlohmann::json::array();
    for (std::size_t i = 0; i < e.paths.size(); ++i)
      members.push_back({{"file", e.paths[i]}, {"step", e.members[i].ck.state.step}});
    j["checkpoints"] = members;
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
