#include "wuxia/train/base_model.hpp"

#include <algorithm>
#include <filesystem>
#include <unordered_set>

#include "wuxia/data/convert.hpp"
#include "wuxia/data/data_files.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/checkpoint.hpp"
#include "wuxia/store/run_folder.hpp"

namespace wuxia {

TrainOptions base_training(const std::string& data_dir, const std::string& out_dir, int64_t steps) {
  TrainOptions o;
  o.data = {{"ancient", data_dir + "/ancient.txt"}, {"poets", data_dir + "/poets.txt"}};
  o.out_dir = out_dir;
  o.model.embed = kBaseEmbed;
  o.model.hidden = kBaseHidden;
  o.model.layers = kBaseLayers;
  o.model.dropout = kBaseDropout;
  o.settings.batch = kBaseBatch;
  o.settings.lr = kBaseLr;
  o.steps = steps;
  o.eval_every = std::min<int64_t>(kBaseEvalEvery, steps);
  return o;
}

void apply_fine_tune_defaults(TrainOptions& o, const std::set<std::string>& given) {
  auto unset = [&](const char* flag) { return !given.count(flag); };
  if (unset("steps") && unset("epochs")) o.steps = kTuneSteps;
  if (unset("lr")) o.settings.lr = kTuneLr;
  if (unset("dropout")) o.model.dropout = kTuneDropout;
  if (unset("eval-every")) o.eval_every = kTuneEvalEvery;
  if (unset("patience")) o.patience = kTunePatience;
  if (unset("new-styles-lr") && unset("base-rows-lr")) o.settings.new_styles_lr = kTuneNewStylesLr;
  if (unset("balance-styles")) o.settings.balance_styles = true;
  if (o.data.size() > 1) {  // styles that turn at different steps; one style keeps its best validation
    if (unset("balance-patience") && o.settings.balance_styles) o.settings.balance_patience = kTuneBalancePatience;
    if (unset("keep-last")) o.settings.keep_last = true;
  }
}

namespace {
double share_known(const std::unordered_set<char32_t>& have, const std::vector<std::vector<std::u32string>>& names) {
  std::unordered_set<char32_t> want;
  for (const auto& l : names) {
    for (const auto& n : l) want.insert(n.begin(), n.end());
  }
  if (want.empty()) return 0;
  std::size_t known = 0;
  for (char32_t c : want) known += have.count(c);
  return static_cast<double>(known) / static_cast<double>(want.size());
}
}  // namespace

double vocab_coverage(const std::vector<char32_t>& chars, const std::vector<std::vector<std::u32string>>& names) {
  return share_known(std::unordered_set<char32_t>(chars.begin(), chars.end()), names);
}

double corpus_coverage(const std::string& data_dir, const std::vector<std::vector<std::u32string>>& names) {
  if (std::all_of(names.begin(), names.end(), [](const auto& l) { return l.empty(); })) return 0;  // nothing to cover
  std::unordered_set<char32_t> have;
  for (const char* f : {"ancient.txt", "poets.txt"}) {
    const std::string path = data_dir + "/" + f;
    if (!std::filesystem::exists(path)) return 0;
    for (const auto& n : load_name_file(path, "corpus").names) have.insert(n.begin(), n.end());
  }
  return share_known(have, names);
}

namespace {

// Whether this run fine-tunes from the base model (the default route): not
// when resuming, initialising from another checkpoint, asked not to, given a
// shape of its own, or on names the corpora hardly know (say, Latin letters).
bool use_base(const TrainOptions& o, const BaseRoute& route, const std::set<std::string>& given, std::ostream& log) {
  if (!o.resume.empty() || !o.init.empty() || route.from_scratch) return false;
  for (const char* f : {"embed", "hidden", "layers"}) {
    if (given.count(f)) {
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
  const std::string base_last = (std::filesystem::path(route.dir) / "last.safetensors").string();
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
std::string ensure_base(const std::string& dir, int64_t steps, Backend<float>& backend, bool quiet, bool tty,
                        int& signal, std::ostream& out) {
  namespace fs = std::filesystem;
  const std::string last = (fs::path(dir) / "last.safetensors").string();
  const std::string best = (fs::path(dir) / "best.safetensors").string();
  TrainOptions o = base_training(bundled_data_dir(), dir, steps);
  o.quiet = quiet;
  o.tty = tty;
  if (fs::exists(last)) {
    const int64_t at = peek_checkpoint(last).state.step;  // the header alone: best is checked when it is loaded
    if (at >= steps && fs::exists(best)) {
      if (!quiet) out << "base: " << best << " (step " << at << "); --from-scratch trains without it\n";
      return best;
    }
    if (!quiet)
      out << "base: pretraining in " << dir << " stopped at step " << at << "; going on to step " << steps << "\n";
    TrainOptions more;
    more.resume = last;
    more.out_dir = dir;
    more.steps = steps;
    more.eval_every = o.eval_every;
    more.quiet = quiet;
    more.tty = o.tty;
    signal = train(more, backend, out).signal;
  } else {
    if (!quiet) {
      out << "base: none in " << dir << " yet: pretraining one on the bundled corpora (" << steps
          << " steps, once; later runs reuse it; --from-scratch skips it)\n";
    }
    signal = train(o, backend, out).signal;
  }
  if (signal) return "";
  if (!quiet) out << "fine-tuning from " << best << "\n";
  return best;
}

}  // namespace

int take_default_route(TrainOptions& o, const BaseRoute& route, const std::set<std::string>& given,
                       Backend<float>& backend, std::ostream& out) {
  if (use_base(o, route, given, out)) {
    int signal = 0;
    try {
      o.init = ensure_base(route.dir, route.steps, backend, o.quiet, o.tty, signal, out);
    } catch (const Error& e) {  // its folder is --base-dir, not --out
      throw Error("the base model in --base-dir " + route.dir + ": " + e.what());
    }
    if (signal) return signal;
  }
  if (!o.init.empty()) apply_fine_tune_defaults(o, given);
  return 0;
}

TrainResult train_with_route(TrainOptions& o, const BaseRoute& route, const std::set<std::string>& given,
                             Backend<float>& backend, std::ostream& out) {
  RunFolder::check(o.out_dir, !o.resume.empty(), o.overwrite);
  if (const int signal = take_default_route(o, route, given, backend, out)) {
    TrainResult stopped;
    stopped.signal = signal;
    return stopped;
  }
  return train(o, backend, out);
}

}  // namespace wuxia
