// score and classify: questions asked of a model about whole names.
#include <cmath>
#include <iomanip>
#include <iostream>

#include "cli.hpp"
#include "wuxia/data/convert.hpp"
#include "wuxia/data/names.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/infer/scoring.hpp"
#include "wuxia/platform/error.hpp"

namespace wuxia::cli {

namespace {

void add_common(cxxopts::Options& opts) {
  opts.add_options()("checkpoint",
                     "checkpoint; repeat for an ensemble (the mixture of their next-character distributions)",
                     cxxopts::value<std::string>()->default_value(default_checkpoint()));
  add_device_flags(opts, "cpu", 0);
}

// Names from the command line and from --file (converted with --convert
// where the command has it); at least one.
std::vector<std::u32string> names_from(const cxxopts::ParseResult& r) {
  std::vector<std::u32string> names;
  if (r.count("names")) {
    for (const auto& n : r["names"].as<std::vector<std::string>>())
      names.push_back(parse_name_arg(n, "name '" + n + "'"));
  }
  if (r.count("file")) {
    const NameFile f = load_name_file(r["file"].as<std::string>(), "file");
    names.insert(names.end(), f.names.begin(), f.names.end());
  }
  if (names.empty()) throw Error("give names as arguments or --file FILE (see --help)");
  const std::string convert = r.count("convert") ? convert_flag(r) : "";
  if (!convert.empty()) {
    const ScriptConverter c(convert);
    for (auto& n : names) n = c(n);
  }
  return names;
}

// Names the model cannot score (characters outside its vocabulary), reported once.
std::size_t report_unscorable(const std::vector<std::u32string>& names, const Vocab& vocab) {
  std::size_t n = 0;
  for (const auto& name : names) {
    for (char32_t c : name) {
      if (vocab.id_of(c) < 0) {
        std::cerr << utf8::encode(name) << ": character '" << utf8::encode(c)
                  << "' is not in the model's vocabulary; skipped\n";
        ++n;
        break;
      }
    }
  }
  return n;
}

}  // namespace

int cmd_score(int argc, char** argv) {
  cxxopts::Options opts("wuxia score", "Log-likelihood of names and where they fall among the model's own samples.");
  opts.positional_help("NAME...");
  add_common(opts);
  // clang-format off
  opts.add_options()
    ("file", "names to score, one per line", cxxopts::value<std::string>())
    ("style", "style to score under (default: the first the model was trained on)", cxxopts::value<std::string>())
    ("samples", "model samples the percentile is taken against", cxxopts::value<int>()->default_value("2000"))
    ("seed", "seed of those samples", cxxopts::value<uint64_t>()->default_value("1"))
    ("names", "names", cxxopts::value<std::vector<std::string>>());
  // clang-format on
  add_convert_flag(opts, "convert the names to score first: t2s (traditional to simplified) or s2t (OpenCC)");
  opts.parse_positional({"names"});
  cxxopts::ParseResult r;
  if (!parse(opts, argc, argv, r)) return 0;
  const int n_samples = r["samples"].as<int>();
  if (n_samples < 1 || n_samples > kMaxReferenceSamples) {
    throw Error("--samples must be from 1 to " + std::to_string(kMaxReferenceSamples));
  }
  const auto names = names_from(r);
  LoadedEnsemble e = load_ensemble(r, default_checkpoint(), std::cerr);
  const Loaded& l = e.first();
  const int style = style_flag(r, l.vocab, l.ck.default_style());
  const std::size_t skipped = report_unscorable(names, l.vocab);

  // Against log-likelihoods of the model's own samples.
  const Percentiles p = percentiles(*e.ensemble, l.vocab, names, style, n_samples, r["seed"].as<uint64_t>());
  if (static_cast<int>(p.reference) < n_samples) {
    std::cerr << "note: percentiles are against " << p.reference << " distinct samples (asked for " << n_samples
              << ")\n";
  }
  std::cout << "name\tlog_likelihood\tnll_per_token\tpercentile\n" << std::fixed << std::setprecision(4);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const double ll = p.log_likelihood[i];
    if (std::isnan(ll)) continue;
    const double tokens = static_cast<double>(names[i].size() + 1);  // END included, as eval
    std::cout << utf8::encode(names[i]) << "\t" << ll << "\t" << -ll / tokens << "\t";
    if (!p.percentile[i]) {
      std::cout << "n/a\n";
    } else {
      std::cout << std::setprecision(1) << *p.percentile[i] << std::setprecision(4) << "\n";
    }
  }
  return skipped == names.size() ? 1 : 0;
}

int cmd_classify(int argc, char** argv) {
  cxxopts::Options opts("wuxia classify",
                        "Which style (training corpus) a name most likely comes from: P(style | name).");
  opts.positional_help("NAME...");
  add_common(opts);
  // clang-format off
  opts.add_options()
    ("file", "names to classify, one per line", cxxopts::value<std::string>())
    ("names", "names", cxxopts::value<std::vector<std::string>>());
  // clang-format on
  opts.parse_positional({"names"});
  cxxopts::ParseResult r;
  if (!parse(opts, argc, argv, r)) return 0;
  const auto names = names_from(r);
  LoadedEnsemble e = load_ensemble(r, default_checkpoint(), std::cerr);
  const Loaded& l = e.first();
  if (l.vocab.num_styles() < 2) {
    throw Error("this model was trained on one style (" + l.vocab.styles()[0] +
                "); train with several --data STYLE=PATH to classify");
  }
  const std::size_t skipped = report_unscorable(names, l.vocab);
  const auto guesses = classify_names(*e.ensemble, l.vocab, names, style_priors(l.ck.train_names));
  std::cout << std::fixed << std::setprecision(3);
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (guesses[i].best < 0) continue;
    std::cout << utf8::encode(names[i]) << "\t" << l.vocab.styles()[guesses[i].best];
    for (int s = 0; s < l.vocab.num_styles(); ++s) {
      std::cout << "\t" << l.vocab.styles()[s] << "=" << guesses[i].posterior[s];
    }
    std::cout << "\n";
  }
  return skipped == names.size() ? 1 : 0;
}

}  // namespace wuxia::cli
