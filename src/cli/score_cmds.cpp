// score, classify and name: questions asked of a model about whole names.
#include <cmath>
#include <iomanip>
#include <iostream>

#include "cli.hpp"
#include "wuxia/convert.hpp"
#include "wuxia/error.hpp"
#include "wuxia/names.hpp"
#include "wuxia/scoring.hpp"
#include "wuxia/utf8.hpp"

namespace wuxia::cli {

namespace {

void add_common(cxxopts::Options& opts) {
  opts.add_options()("checkpoint", "checkpoint", cxxopts::value<std::string>()->default_value(default_checkpoint()));
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
  if (n_samples < 1) throw Error("--samples must be at least 1");
  const auto names = names_from(r);
  Loaded l = load_model(r, std::cerr);
  const int style = style_flag(r, l.vocab, l.ck.default_style());
  const std::size_t skipped = report_unscorable(names, l.vocab);

  // The reference distribution: log-likelihoods of the model's own samples.
  SampleOptions so;
  so.n = n_samples;
  so.style = style;
  so.seed = r["seed"].as<uint64_t>();
  so.max_len = static_cast<int>(kMaxNameLength);
  so.max_attempts = 3LL * n_samples;  // a poor model may rarely end a name: do not chase it
  std::vector<std::u32string> sampled;
  for (auto& s : sample_names(*l.model, l.vocab, NameSets{}, so)) sampled.push_back(std::move(s.name));
  const std::vector<double> reference = log_likelihoods(*l.model, l.vocab, sampled, style);
  if (static_cast<int>(sampled.size()) < n_samples) {
    std::cerr << "note: percentiles are against " << sampled.size() << " distinct samples (asked for " << n_samples
              << ")\n";
  }

  const std::vector<double> ll = log_likelihoods(*l.model, l.vocab, names, style);
  std::cout << "name\tlog_likelihood\tnll_per_token\tpercentile\n" << std::fixed << std::setprecision(4);
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (std::isnan(ll[i])) continue;
    const double tokens = static_cast<double>(names[i].size() + 1);  // END included, as eval
    std::cout << utf8::encode(names[i]) << "\t" << ll[i] << "\t" << -ll[i] / tokens << "\t";
    if (reference.empty()) {
      std::cout << "n/a\n";
    } else {
      std::cout << std::setprecision(1) << 100.0 * percentile_of(ll[i], reference) << std::setprecision(4) << "\n";
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
  Loaded l = load_model(r, std::cerr);
  if (l.vocab.num_styles() < 2) {
    throw Error("this model was trained on one style (" + l.vocab.styles()[0] +
                "); train with several --data STYLE=PATH to classify");
  }
  const std::size_t skipped = report_unscorable(names, l.vocab);
  const auto guesses = classify_names(*l.model, l.vocab, names, style_priors(l.ck.train_names));
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

int cmd_name(int argc, char** argv) {
  cxxopts::Options opts("wuxia name",
                        "The likeliest new names for a surname: beam search over the given name, ranked by the "
                        "model's log-likelihood of the whole name (END included).");
  add_common(opts);
  // clang-format off
  opts.add_options()
    ("surname", "surname, one or more characters (张, 欧阳, 司马)", cxxopts::value<std::string>())
    ("given-len", "characters in the given name", cxxopts::value<int>()->default_value("2"))
    ("n", "how many names", cxxopts::value<int>()->default_value("20"))
    ("style", "style to name in (default: the first the model was trained on)", cxxopts::value<std::string>())
    ("exclude", "characters never to use in the given name", cxxopts::value<std::string>()->default_value(""))
    ("beam", "beam width (0 = max(64, 4n))", cxxopts::value<int>()->default_value("0"));
  // clang-format on
  cxxopts::ParseResult r;
  if (!parse(opts, argc, argv, r)) return 0;
  if (!r.count("surname")) throw Error("--surname is required (see --help)");
  NameSearch q;
  q.surname = utf8::decode_or_throw(r["surname"].as<std::string>(), "--surname");
  q.given_len = r["given-len"].as<int>();
  q.n = r["n"].as<int>();
  q.beam = r["beam"].as<int>();
  if (q.beam < 0) throw Error("--beam must be 0 (auto) or more");
  for (char32_t c : utf8::decode_or_throw(r["exclude"].as<std::string>(), "--exclude")) q.exclude.insert(c);
  Loaded l = load_model(r, std::cerr);
  q.style = style_flag(r, l.vocab, l.ck.default_style());
  const auto names = suggest_names(*l.model, l.vocab, l.ck.known_names(), q);
  std::cout << std::fixed << std::setprecision(3);
  for (const auto& s : names) std::cout << utf8::encode(s.name) << "\t" << s.log_prob << "\n";
  if (static_cast<int>(names.size()) < q.n) {
    std::cerr << "wuxia name: only " << names.size() << " of " << q.n << " new names within the beam; try --beam "
              << 2 * std::max(64, 4 * q.n) << "\n";
    return 3;
  }
  return 0;
}

}  // namespace wuxia::cli
