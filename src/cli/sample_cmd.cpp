#include <cerrno>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <unordered_set>

#include "cli.hpp"
#include "wuxia/data/convert.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/infer/sampler.hpp"
#include "wuxia/naming/endings.hpp"
#include "wuxia/naming/words.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/platform/format.hpp"

namespace wuxia::cli {

namespace {

// How the samples compare with the training names.
void print_report(const std::vector<SampledName>& names, const std::vector<std::vector<std::u32string>>& train,
                  std::ostream& out) {
  if (names.empty()) return;
  const double n = static_cast<double>(names.size());
  std::map<NameOrigin, int> origin;
  std::map<std::size_t, int> len_sampled, len_train;
  std::unordered_set<char32_t> first_chars;
  std::size_t n_train = 0;
  for (const auto& style : train) {
    for (const auto& t : style) {
      ++len_train[t.size()];
      first_chars.insert(t[0]);
      ++n_train;
    }
  }
  int first_known = 0;
  for (const auto& s : names) {
    ++origin[s.origin];
    ++len_sampled[s.name.size()];
    first_known += first_chars.count(s.name[0]) > 0;
  }
  auto pct = [](double x) {
    std::ostringstream o;
    o << std::fixed << std::setprecision(1) << 100.0 * x << "%";
    return o.str();
  };
  out << "\nreport: " << names.size() << " names: new " << pct(origin[NameOrigin::New] / n) << ", train "
      << pct(origin[NameOrigin::Train] / n) << ", val " << pct(origin[NameOrigin::Val] / n) << "\n"
      << "length\tsampled\ttraining\n";
  std::set<std::size_t> lengths;
  for (const auto& [k, v] : len_sampled) lengths.insert(k);
  for (const auto& [k, v] : len_train) lengths.insert(k);
  for (auto k : lengths) {
    out << k << "\t" << pct(len_sampled[k] / n) << "\t"
        << pct(n_train ? len_train[k] / static_cast<double>(n_train) : 0.0) << "\n";
  }
  out << "first character begins a training name: " << pct(first_known / n) << "\n";
}

}  // namespace

int cmd_sample(int argc, char** argv) {
  const SampleOptions d = list_defaults();
  cxxopts::Options opts("wuxia sample", "Invent names from a checkpoint, one per line.");
  // clang-format off
  opts.add_options()
    ("checkpoint", "checkpoint to sample from; repeat for an ensemble (the mixture of their next-character distributions)", cxxopts::value<std::string>()->default_value(default_checkpoint()))
    ("n", "how many distinct names", cxxopts::value<int>()->default_value(std::to_string(d.n)))
    ("temperature", "softmax temperature (> 0; lower is safer; 1 = the model's own distribution)", cxxopts::value<double>()->default_value(shortest(d.temperature)))
    ("top-k", "sample among the k likeliest characters (0 = off, 1 = greedy)", cxxopts::value<int>()->default_value("0"))
    ("top-p", "nucleus sampling mass in (0, 1] (1 = off)", cxxopts::value<double>()->default_value(shortest(d.top_p)))
    ("prefix", "names start with these characters", cxxopts::value<std::string>()->default_value(""))
    ("style", "style (training corpus) to sample; default the first the model was trained on. Names the model learnt as another style's are left out (a Jin Yong list does not offer Gu Long's 阿飞)", cxxopts::value<std::string>())
    ("min-len", "shortest name, in characters (default: the style's shortest training name)", cxxopts::value<int>())
    ("max-len", "longest name, in characters (default: the style's longest training name)", cxxopts::value<int>())
    ("novel", "only names not in the training or validation data")
    ("allow-words", "keep new names that are common words or names everyone knows (data/words.tsv: 海岛, 东西, 朱元璋) or a surname alone (慕容); by default they are discarded")
    ("allow-rare-endings", "keep new names ending in a character that almost no real name ends with (张小, 杨自, 文何: cut short, or two surnames) and no name the model learnt; by default they are discarded")
    ("label", "add a column: new, train or val")
    ("report", "after the names: new/train/val fractions, length histogram against the training names, "
               "how often the first character begins a training name")
    ("seed", "random seed (default: a fresh one, printed to stderr so that the list can be made again)", cxxopts::value<uint64_t>());
  // clang-format on
  add_device_flags(opts, "cpu", 1);
  add_convert_flag(opts,
                   "write the names converted: s2t (simplified to traditional) or t2s (OpenCC); --prefix is "
                   "then read in the script written");
  cxxopts::ParseResult r;
  if (!parse(opts, argc, argv, r)) return 0;
  SampleOptions o;
  o.n = r["n"].as<int>();
  o.temperature = r["temperature"].as<double>();
  o.top_k = r["top-k"].as<int>();
  o.top_p = r["top-p"].as<double>();
  o.prefix = utf8::decode_or_throw(r["prefix"].as<std::string>(), "--prefix");
  const std::string convert = convert_flag(r);
  std::optional<ScriptConverter> to_user, to_model;
  if (!convert.empty()) {
    to_user.emplace(convert);
    to_model.emplace(convert == "s2t" ? "t2s" : "s2t");
    o.prefix = (*to_model)(o.prefix);
  }
  if (r.count("min-len")) o.min_len = r["min-len"].as<int>();
  o.max_len = r.count("max-len") ? r["max-len"].as<int>() : d.max_len;  // until the style's is known
  o.novel = r.count("novel") > 0;
  o.seed = r.count("seed") ? r["seed"].as<uint64_t>() : fresh_seed();
  o.validate_flags();  // before the (slow) checkpoint load
  if (!r.count("seed"))
    std::cerr << "wuxia sample: seed " << o.seed << " (--seed " << o.seed << " makes this list again)\n";

  LoadedEnsemble e = load_ensemble(r, default_checkpoint(), std::cerr);
  const Loaded& l = e.first();
  o.style = style_flag(r, l.vocab, l.ck.default_style());
  apply_length_defaults(o, l.ck.train_names, r.count("min-len") > 0, r.count("max-len") > 0);
  const Words words = r.count("allow-words") ? Words() : Words::load_bundled();
  if (!r.count("allow-words")) o.words = &words.set();
  if (!r.count("allow-rare-endings")) o.rare_endings = Endings::load_bundled().rare(l.ck.train_names, l.ck.val_names);
  SampleStats stats;
  const bool label = r.count("label") > 0;
  // Each name is printed as it is found, so that a stopped run keeps what it made.
  const auto print = [&](const SampledName& s) {
    std::cout << utf8::encode(to_user ? (*to_user)(s.name) : s.name);
    if (label) std::cout << "\t" << origin_label(s.origin);
    std::cout << "\n" << std::flush;
    if (!std::cout) throw Error(std::string("writing to standard output failed: ") + std::strerror(errno));
  };
  const auto names = sample_names(*e.ensemble, l.vocab, l.ck.known_names(), o, &stats, print);
  if (r.count("report")) {
    print_report(names, l.ck.train_names, std::cout);
    const std::string lineage = describe_lineage(l.ck);
    std::cout << "model: " << l.ck.config.vocab << " tokens, style " << l.vocab.styles()[o.style] << ", step "
              << l.ck.state.step << (lineage.empty() ? ", trained from scratch" : ", " + lineage) << "\n";
  }
  if (static_cast<int>(names.size()) < o.n) {
    std::cerr << "wuxia sample: " << describe_shortfall(stats, names.size(), o.n) << "\n";
    return 3;
  }
  return 0;
}

}  // namespace wuxia::cli
