#include "wuxia/train/training_run.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <ostream>
#include <set>
#include <unordered_set>

#include "wuxia/data/convert.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/infer/evaluate.hpp"
#include "wuxia/model/rng.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/platform/format.hpp"

namespace wuxia {

void TrainOptions::validate() const {
  auto need = [](bool ok, const std::string& msg) {
    if (!ok) throw Error(msg);
  };
  settings.validate(TrainSettings::flag);
  need(steps >= 0, "--steps must be at least 1");
  need(epochs >= 0, "--epochs must be greater than 0");
  need(steps == 0 || epochs == 0, "give --steps or --epochs, not both");
  need(eval_every >= 1, "--eval-every must be at least 1");
  need(log_every >= 1, "--log-every must be at least 1");
  need(patience >= 0, "--patience must be 0 (off) or more");
  need(resume.empty() || init.empty(),
       "--init and --resume do not go together: --resume continues a run, --init starts a new one from a model's "
       "weights");
  need(resume.empty() || std::filesystem::exists(resume), "--resume " + resume + ": no such file");
  need(!overwrite || resume.empty(), "--overwrite and --resume do not go together: --resume continues the model");
}

double learning_rate(const TrainSettings& s, int64_t step) {
  if (s.warmup > 0 && step <= s.warmup) return s.lr * static_cast<double>(step) / static_cast<double>(s.warmup);
  const double span = static_cast<double>(std::max<int64_t>(1, s.decay_steps - s.warmup));
  const double progress = std::min(1.0, static_cast<double>(step - std::max<int64_t>(0, s.warmup)) / span);
  const double cosine = 0.5 * (1.0 + std::cos(3.14159265358979323846 * progress));
  return s.lr * (s.min_lr_ratio + (1.0 - s.min_lr_ratio) * cosine);
}

StepOptions train_step_options(const TrainSettings& s, int64_t step) {
  StepOptions so;
  so.train = true;
  so.backward = true;
  so.seed = s.seed;
  so.step = static_cast<uint64_t>(step);
  so.weight_drop = s.weight_drop;
  so.locked_dropout = s.locked_dropout;
  so.embed_dropout = s.embed_dropout;
  return so;
}

AdamWArgs adamw_args(const TrainSettings& s, int64_t step) {
  AdamWArgs a;
  a.lr = learning_rate(s, step);
  a.weight_decay = s.l2sp > 0 ? 0.0 : s.weight_decay;
  a.l2sp = s.l2sp;
  a.ema_decay = ema_decay(s, step);
  a.marked_rows_lr =
      s.new_styles_lr > 1 ? s.new_styles_lr : s.base_rows_lr;  // the mask marks the rows of the one given
  a.clip = s.clip;
  a.step = step;
  return a;
}

double ema_decay(const TrainSettings& s, int64_t step) {
  if (s.ema <= 0) return 0.0;
  return std::min(s.ema, static_cast<double>(1 + step) / static_cast<double>(10 + step));
}

void split_names(const std::vector<NameFile>& files, uint64_t seed, std::vector<std::vector<std::u32string>>& train,
                 std::vector<std::vector<std::u32string>>& val) {
  std::vector<std::pair<int, std::size_t>> all;
  for (std::size_t s = 0; s < files.size(); ++s) {
    for (std::size_t i = 0; i < files[s].names.size(); ++i) all.emplace_back(static_cast<int>(s), i);
  }
  if (all.size() < 2) throw Error("need at least 2 names to split off a validation set (or give --val)");
  const std::size_t n_val = std::max<std::size_t>(1, std::min<std::size_t>(1000, all.size() / 10));
  const auto perm = permutation(all.size(), seed, rng::kValSplit, 0);
  std::vector<char> is_val(all.size(), 0);
  for (std::size_t i = 0; i < n_val; ++i) is_val[perm[i]] = 1;
  train.assign(files.size(), {});
  val.assign(files.size(), {});
  for (std::size_t k = 0; k < all.size(); ++k) {  // keep file order inside each list
    const auto [s, i] = all[k];
    (is_val[k] ? val : train)[s].push_back(files[s].names[i]);
  }
}

std::vector<Example> encode_names(const Vocab& vocab, const std::vector<std::vector<std::u32string>>& names) {
  std::vector<Example> out;
  for (std::size_t s = 0; s < names.size(); ++s) {
    for (const auto& n : names[s]) {
      Example e;
      if (!encode_name(vocab, static_cast<int>(s), n, e)) {
        throw Error("name '" + utf8::encode(n) + "' has a character outside the vocabulary");
      }
      out.push_back(std::move(e));
    }
  }
  return out;
}

namespace {

std::size_t names_in(const std::vector<std::vector<std::u32string>>& lists) {
  std::size_t n = 0;
  for (const auto& l : lists) n += l.size();
  return n;
}

// --balance-styles: how often style `s`'s names are repeated in an epoch:
// round(largest / its count), at least once.
std::size_t balance_repeats(const std::vector<std::vector<std::u32string>>& names, std::size_t s) {
  std::size_t most = 0;
  for (const auto& l : names) most = std::max(most, l.size());
  return names[s].empty() ? 0 : std::max<std::size_t>(1, (most + names[s].size() / 2) / names[s].size());
}

// --balance-styles: each style's examples (encode_names keeps them in style
// order) repeated balance_repeats times, once where `styles` (the state of
// --balance-patience, empty when off) says its repetition has ended.
std::vector<Example> balance_styles(std::vector<Example> examples,
                                    const std::vector<std::vector<std::u32string>>& names,
                                    const std::vector<TrainState::Style>& styles) {
  std::vector<Example> out;
  std::size_t at = 0;
  for (std::size_t s = 0; s < names.size(); ++s) {
    const auto& l = names[s];
    const bool ended = !styles.empty() && !styles[s].repeated;
    const std::size_t reps = ended ? 1 : balance_repeats(names, s);
    for (std::size_t r = 0; r < reps; ++r) {
      out.insert(out.end(), examples.begin() + static_cast<std::ptrdiff_t>(at),
                 examples.begin() + static_cast<std::ptrdiff_t>(at + l.size()));
    }
    at += l.size();
  }
  return out;
}

// --val whose style is none of the run's: says which, or asks for one.
std::string val_style_error(const std::string& arg, const DataSpec& vs, bool named,
                            const std::vector<std::string>& styles) {
  std::string known;
  for (const auto& s : styles) known += (known.empty() ? "" : ", ") + s;
  if (named) return "--val " + arg + ": style '" + vs.style + "' is not one of the run's styles (" + known + ")";
  return "--val " + arg + ": say which style it belongs to, as --val STYLE=PATH (styles: " + known + ")";
}

NameFile load_converted(const DataSpec& d, const std::string& style, const TrainOptions& o, std::ostream& log) {
  NameFile f = load_name_file(d.path, style);
  if (!o.convert.empty()) f = convert_names(std::move(f), ScriptConverter(o.convert));
  if (!o.quiet) log << (o.convert.empty() ? "" : o.convert + " ") << "data: " << describe(f) << "\n";
  return f;
}

// On --resume: each flag the user gave that the checkpoint fixes must agree
// with it. The automatic values (--warmup -1, --decay-steps 0) mean "the
// default", which on resume is the checkpoint's.
void check_resume_flags(const TrainOptions& o, const Checkpoint& ck, std::ostream& log) {
  struct Fixed {
    std::string given, stored;
  };
  const TrainSettings& g = o.settings;
  const TrainSettings& c = ck.settings;
  auto ints = [](int64_t a, int64_t b) { return Fixed{std::to_string(a), std::to_string(b)}; };
  auto reals = [](double a, double b) { return Fixed{shortest(a), shortest(b)}; };
  const std::map<std::string, Fixed> fixed{
      {"embed", ints(o.model.embed, ck.config.embed)},
      {"hidden", ints(o.model.hidden, ck.config.hidden)},
      {"layers", ints(o.model.layers, ck.config.layers)},
      {"dropout", reals(o.model.dropout, ck.config.dropout)},
      {"batch", ints(g.batch, c.batch)},
      {"lr", reals(g.lr, c.lr)},
      {"weight-decay", reals(g.weight_decay, c.weight_decay)},
      {"clip", reals(g.clip, c.clip)},
      {"warmup", g.warmup == -1 ? Fixed{"", ""} : ints(g.warmup, c.warmup)},
      {"decay-steps", g.decay_steps == 0 ? Fixed{"", ""} : ints(g.decay_steps, c.decay_steps)},
      {"seed", Fixed{std::to_string(g.seed), std::to_string(c.seed)}},
      {"ema", reals(g.ema, c.ema)},
      {"l2sp", reals(g.l2sp, c.l2sp)},
      {"base-rows-lr", reals(g.base_rows_lr, c.base_rows_lr)},
      {"new-styles-lr", reals(g.new_styles_lr, c.new_styles_lr)},
      {"balance-styles", Fixed{g.balance_styles ? "on" : "off", c.balance_styles ? "on" : "off"}},
      {"balance-patience", ints(g.balance_patience, c.balance_patience)},
      {"keep-last", Fixed{g.keep_last ? "on" : "off", c.keep_last ? "on" : "off"}},
      {"weight-drop", reals(g.weight_drop, c.weight_drop)},
      {"locked-dropout", reals(g.locked_dropout, c.locked_dropout)},
      {"embed-dropout", reals(g.embed_dropout, c.embed_dropout)},
      {"precision", Fixed{precision_name(g.precision), precision_name(c.precision)}},
  };
  for (const std::string& flag : o.given) {
    if (flag == "val") {
      const DataSpec vs = parse_data_spec(o.val_path);
      const bool named = vs.path != o.val_path;  // given as STYLE=PATH
      int style = std::max(0, ck.vocab().style_index(vs.style));
      if ((ck.styles.size() > 1 || named) && ck.vocab().style_index(vs.style) < 0) {
        throw Error(val_style_error(o.val_path, vs, named, ck.styles));
      }
      NameFile vf = load_name_file(vs.path, ck.styles[style]);
      if (!o.convert.empty()) vf = convert_names(std::move(vf), ScriptConverter(o.convert));
      const std::set<std::u32string> a(vf.names.begin(), vf.names.end()),
          b(ck.val_names[style].begin(), ck.val_names[style].end());
      if (a != b) {
        throw Error("--val " + o.val_path + " cannot change on --resume: its " + std::to_string(a.size()) +
                    " names are not the checkpoint's " + std::to_string(b.size()) + " validation names");
      }
      continue;
    }
    const auto it = fixed.find(flag);
    if (it == fixed.end() || it->second.given == it->second.stored) continue;
    throw Error("--" + flag + " " + it->second.given + " cannot change on --resume: the checkpoint has " +
                it->second.stored + " (leave the flag out, or give the checkpoint's value)");
  }
  if (!o.data.empty() && !o.quiet)
    log << "note: --resume trains on the names stored in the checkpoint; --data is not read\n";
}

// The drop probabilities of issue 29's regularisers, each in [0, 1).
// On --init: the model's shape is the base's.
void check_init_flags(const TrainOptions& o, const Checkpoint& base) {
  const std::pair<const char*, std::pair<int, int>> shape[] = {{"embed", {o.model.embed, base.config.embed}},
                                                               {"hidden", {o.model.hidden, base.config.hidden}},
                                                               {"layers", {o.model.layers, base.config.layers}}};
  for (const auto& [flag, v] : shape) {
    if (std::find(o.given.begin(), o.given.end(), flag) != o.given.end() && v.first != v.second) {
      throw Error(std::string("--") + flag + " " + std::to_string(v.first) + " cannot differ from the --init model's " +
                  std::to_string(v.second) + ": fine-tuning keeps the base's shape");
    }
  }
}

}  // namespace

RunNames load_run_names(const TrainOptions& o, std::ostream& log) {
  if (o.data.empty()) throw Error("no training data: give --data FILE");
  std::vector<NameFile> files;
  for (const auto& d : o.data) {
    for (const auto& f : files) {
      if (f.style == d.style) throw Error("style '" + d.style + "' given twice; name them with --data STYLE=PATH");
    }
    files.push_back(load_converted(d, d.style, o, log));
  }
  RunNames rn;
  for (const auto& f : files) rn.styles.push_back(f.style);
  if (o.val_path.empty()) {
    split_names(files, o.settings.seed, rn.train, rn.val);
    return rn;
  }
  const DataSpec vs = parse_data_spec(o.val_path);
  int style = -1;
  for (std::size_t s = 0; s < files.size(); ++s) {
    if (files[s].style == vs.style) style = static_cast<int>(s);
  }
  const bool named = vs.path != o.val_path;  // given as STYLE=PATH
  if (style < 0 && files.size() == 1 && !named) style = 0;
  if (style < 0) throw Error(val_style_error(o.val_path, vs, named, rn.styles));
  const NameFile vf = load_converted(vs, files[style].style, o, log);
  rn.train.assign(files.size(), {});
  rn.val.assign(files.size(), {});
  const std::unordered_set<std::u32string> val_set(vf.names.begin(), vf.names.end());
  std::size_t overlap = 0;
  for (std::size_t s = 0; s < files.size(); ++s) {
    for (const auto& n : files[s].names) {
      if (static_cast<int>(s) == style && val_set.count(n)) {
        ++overlap;
        continue;
      }
      rn.train[s].push_back(n);
    }
  }
  rn.val[style] = vf.names;
  if (overlap && !o.quiet) {
    log << "note: " << overlap << " validation names also in the training data were removed from training\n";
  }
  return rn;
}

Checkpoint init_from_base(const Checkpoint& base, const std::string& base_file, const RunNames& names,
                          const TrainSettings& settings, double dropout) {
  Checkpoint ck;
  // Styles: the base's, then the new data's that it lacks; names: the new data's, by style.
  ck.styles = base.styles;
  for (const auto& s : names.styles) {
    if (std::find(ck.styles.begin(), ck.styles.end(), s) == ck.styles.end()) ck.styles.push_back(s);
  }
  ck.train_names.assign(ck.styles.size(), {});
  ck.val_names.assign(ck.styles.size(), {});
  for (std::size_t s = 0; s < names.styles.size(); ++s) {
    const auto at = std::find(ck.styles.begin(), ck.styles.end(), names.styles[s]) - ck.styles.begin();
    ck.train_names[at] = names.train[s];
    ck.val_names[at] = names.val[s];
  }
  std::set<char32_t> chars(base.chars.begin(), base.chars.end());
  for (const auto* lists : {&names.train, &names.val}) {
    for (const auto& l : *lists) {
      for (const auto& n : l) chars.insert(n.begin(), n.end());
    }
  }
  ck.chars.assign(chars.begin(), chars.end());
  ck.config = base.config;
  ck.config.dropout = dropout;
  ck.config.vocab = static_cast<int>(1 + ck.styles.size() + ck.chars.size());
  ck.config.validate();
  ck.settings = settings;
  ck.lineage.push_back({std::filesystem::path(base_file).filename().string(), base.checksum, base.state.step});
  ck.lineage.insert(ck.lineage.end(), base.lineage.begin(), base.lineage.end());

  // Every row of a vocabulary-sized tensor moves to its token's new id. A
  // token new to the model starts as the mean of the existing rows of its
  // kind (characters, or START tokens): an average character, neither
  // impossible nor favoured, whose rows then part from the others' with the
  // first gradients (new tokens are different targets and inputs).
  const Vocab old_v = base.vocab(), new_v = ck.vocab();
  std::vector<int32_t> from(new_v.size(), -1);  // new id -> old id, -1 = new
  from[kEnd] = kEnd;
  for (int s = 0; s < new_v.num_styles(); ++s) {
    const int old_s = old_v.style_index(new_v.styles()[s]);
    if (old_s >= 0) from[new_v.start_id(s)] = old_v.start_id(old_s);
  }
  for (char32_t c : ck.chars) from[new_v.id_of(c)] = old_v.id_of(c);
  if (settings.base_rows_lr < 1 || settings.new_styles_lr > 1) {  // the rows the base learnt: every token it had
    ck.base_rows.resize(from.size());
    for (std::size_t t = 0; t < from.size(); ++t) ck.base_rows[t] = from[t] >= 0;
  }
  const ParamLayout old_l(base.config), new_l(ck.config);
  ck.params.assign(new_l.total(), 0.0f);
  for (const auto& e : new_l.entries()) {
    const ParamInfo& o = old_l.at(e.name);
    const float* src = base.params.data() + o.offset;
    float* dst = ck.params.data() + e.offset;
    if (e.shape[0] != ck.config.vocab) {  // not a vocabulary-sized tensor: copied as it is
      std::copy(src, src + o.size, dst);
      continue;
    }
    const std::size_t width = e.size / static_cast<std::size_t>(ck.config.vocab);
    // The mean row of each kind in the base (0 = characters, 1 = START tokens).
    std::vector<double> mean[2] = {std::vector<double>(width, 0.0), std::vector<double>(width, 0.0)};
    std::size_t count[2] = {0, 0};
    for (int id = 1; id < old_v.size(); ++id) {
      const int kind = old_v.is_char(id) ? 0 : 1;
      for (std::size_t k = 0; k < width; ++k) mean[kind][k] += src[static_cast<std::size_t>(id) * width + k];
      ++count[kind];
    }
    for (int id = 0; id < new_v.size(); ++id) {
      float* row = dst + static_cast<std::size_t>(id) * width;
      if (from[id] >= 0) {
        std::copy_n(src + static_cast<std::size_t>(from[id]) * width, width, row);
      } else {
        const int kind = new_v.is_char(id) ? 0 : 1;
        for (std::size_t k = 0; k < width; ++k)
          row[k] = static_cast<float>(mean[kind][k] / std::max<std::size_t>(1, count[kind]));
      }
    }
  }
  return ck;
}

TrainingRun::TrainingRun(const TrainOptions& o, Backend<float>& backend, std::ostream& log) : be_(backend) {
  if (!o.resume.empty() && !o.init.empty()) {
    throw Error(
        "--init and --resume do not go together: --resume continues a run (its names, weights, optimizer "
        "state and schedule), --init starts a new run from a model's weights");
  }
  if (!o.resume.empty()) {
    ck_ = load_checkpoint(o.resume);
    check_resume_flags(o, ck_, log);
    resumed_ = true;
    if (!o.quiet) log << "resume: " << o.resume << " at step " << ck_.state.step << "\n";
    open_model(o, log);
    return;
  }
  open_names(o, load_run_names(o, log), log);
}

TrainingRun::TrainingRun(const TrainOptions& o, RunNames names, Backend<float>& backend, std::ostream& log)
    : be_(backend) {
  if (!o.resume.empty()) throw Error("internal: a resumed run takes its names from the checkpoint");
  open_names(o, std::move(names), log);
}

void TrainingRun::open_names(const TrainOptions& o, RunNames names, std::ostream& log) {
  o.settings.validate(TrainSettings::flag);
  // Here, not in validate(): on --resume the flags not given are defaults,
  // not the run's, and check_resume_flags names a change.
  if (o.settings.balance_patience > 0 && !o.settings.balance_styles) {
    throw Error("--balance-patience ends the repetition of --balance-styles, which is off");
  }
  if (o.settings.l2sp > 0 && o.init.empty()) {
    throw Error(
        "--l2sp pulls toward the weights a fine-tune starts from: it needs --init (or the default route, which "
        "fine-tunes from the base model)");
  }
  const bool base_rows_given =
      std::find(o.given.begin(), o.given.end(), "base-rows-lr") != o.given.end() || o.settings.base_rows_lr != 1;
  if (base_rows_given && o.init.empty()) {
    throw Error(
        "--base-rows-lr slows the rows a base model learnt: it needs --init (or the default route, which "
        "fine-tunes from the base model)");
  }
  const bool new_styles_given =
      std::find(o.given.begin(), o.given.end(), "new-styles-lr") != o.given.end() || o.settings.new_styles_lr != 1;
  if (new_styles_given && o.init.empty()) {
    throw Error(
        "--new-styles-lr speeds up the START tokens of the styles new to a fine-tune: it needs --init (or the "
        "default route, which fine-tunes from the base model)");
  }
  if (!o.init.empty()) {
    // Its weights and vocabulary: the moments start afresh, the names are the new data's.
    const Checkpoint base = load_checkpoint_for_inference(o.init, /*with_names=*/false);
    check_init_flags(o, base);
    ck_ = init_from_base(base, o.init, names, o.settings, o.model.dropout);
    if (!o.quiet) {
      const std::size_t new_chars = ck_.chars.size() - base.chars.size();
      const std::size_t new_styles = ck_.styles.size() - base.styles.size();
      log << "init: weights of " << o.init << " (step " << base.state.step << ", V=" << base.config.vocab << ")";
      if (new_chars || new_styles) {
        log << "; " << new_chars << " new character(s) and " << new_styles
            << " new style(s) start as the mean of their kind";
      }
      log << "\n";
    }
  } else {
    ck_.styles = names.styles;
    ck_.train_names = std::move(names.train);
    ck_.val_names = std::move(names.val);
    std::vector<const std::u32string*> all;
    for (const auto* lists : {&ck_.train_names, &ck_.val_names}) {
      for (const auto& l : *lists) {
        for (const auto& n : l) all.push_back(&n);
      }
    }
    ck_.chars = Vocab::build(ck_.styles, all).chars();
    ck_.config = o.model;
    ck_.config.vocab = static_cast<int>(1 + ck_.styles.size() + ck_.chars.size());
    ck_.config.validate();
    ck_.settings = o.settings;
    ck_.params = init_params(ck_.config, ck_.settings.seed);
  }
  // Both levers start from the starting weights: the anchor stays there (the
  // base's rows, and a new token's rows at the mean of its kind, where
  // init_from_base put them), the average moves off with training.
  if (ck_.settings.l2sp > 0) ck_.anchor = ck_.params;
  if (ck_.settings.ema > 0) ck_.average = ck_.params;
  open_model(o, log);
}

void TrainingRun::open_model(const TrainOptions& o, std::ostream& log) {
  if (ck_.settings.batch < 1) throw Error("--batch must be at least 1");
  vocab_ = ck_.vocab();
  if (ck_.settings.balance_patience > 0 && ck_.state.styles.empty()) ck_.state.styles.resize(ck_.styles.size());
  encode_training_names();
  val_ex_ = encode_names(vocab_, ck_.val_names);
  if (train_ex_.empty()) throw Error("no training names left after the validation split");
  batcher_.emplace(train_ex_, ck_.settings.batch, ck_.settings.seed);
  const auto nb = static_cast<int64_t>(batcher_->batches_per_epoch());
  total_ = o.steps;
  if (total_ <= 0 && o.epochs > 0) total_ = static_cast<int64_t>(std::ceil(o.epochs * static_cast<double>(nb)));
  if (total_ <= 0) total_ = resumed_ ? ck_.state.step : kDefaultSteps;
  if (!resumed_) {  // a resumed run keeps the schedule it started with
    if (ck_.settings.warmup < 0) ck_.settings.warmup = std::min<int64_t>(100, total_ / 10);
    if (ck_.settings.decay_steps <= 0) ck_.settings.decay_steps = total_;
  }
  model_ = std::make_unique<Model<float>>(be_, ck_.config);
  model_->set_precision(ck_.settings.precision);
  // The workspace for the largest training and evaluation batch at once: a
  // workspace that grows mid-run moves, and the recorded steps go with it.
  eval_batch_ = std::max(ck_.settings.batch, 256);
  int longest = batcher_->max_steps();
  for (const Example& e : val_ex_) longest = std::max(longest, e.steps());
  model_->reserve(longest, eval_batch_);
  model_->set_params(ck_.params);
  if (resumed_ && !ck_.adam_m.empty()) {
    model_->set_moment(0, ck_.adam_m);
    model_->set_moment(1, ck_.adam_v);
  }
  if (ck_.settings.ema > 0) {
    if (ck_.average.empty()) {
      throw Error(o.resume +
                  " holds the --ema average as its parameters but not the training weights (the best "
                  "checkpoint of an --ema run): resume from the run's last.safetensors");
    }
    model_->set_average(ck_.average);
  }
  if (ck_.settings.l2sp > 0) {
    if (ck_.anchor.empty()) throw Error(o.resume + " has --l2sp on but no anchor tensors (anchor.*)");
    model_->set_anchor(ck_.anchor);
  }
  if (ck_.settings.base_rows_lr < 1 || ck_.settings.new_styles_lr > 1) {
    const char* flag = ck_.settings.base_rows_lr < 1 ? "--base-rows-lr" : "--new-styles-lr";
    if (ck_.base_rows.size() != static_cast<std::size_t>(ck_.config.vocab)) {
      throw Error(o.resume + " has " + flag + " on but no base_rows entry saying which rows the base learnt");
    }
    std::vector<uint8_t> marked = ck_.base_rows;
    if (ck_.settings.new_styles_lr > 1) {  // the START tokens of the styles the base did not have
      for (int t = 0; t < vocab_.size(); ++t) marked[t] = !marked[t] && !vocab_.is_char(t) && t != kEnd;
    }
    model_->set_marked_rows(marked);
  }
  if (!o.quiet) {
    log << "model: V=" << ck_.config.vocab << " E=" << ck_.config.embed << " H=" << ck_.config.hidden
        << " L=" << ck_.config.layers << " dropout=" << ck_.config.dropout << " (" << model_->layout().total()
        << " parameters) on " << be_.name() << (ck_.settings.precision == Precision::kBf16 ? ", BF16 GEMM inputs" : "")
        << "\n"
        << "train: " << names_in(ck_.train_names) << " names"
        << (ck_.settings.balance_styles ? " (" + std::to_string(train_ex_.size()) + " with --balance-styles)" : "")
        << ", " << nb << " batches of " << ck_.settings.batch << " per epoch; val: " << val_ex_.size()
        << " names; steps " << ck_.state.step << " -> " << total_ << "\n";
  }
}

void TrainingRun::encode_training_names() {
  train_ex_ = encode_names(vocab_, ck_.train_names);
  if (ck_.settings.balance_styles) train_ex_ = balance_styles(std::move(train_ex_), ck_.train_names, ck_.state.styles);
}

std::vector<std::string> TrainingRun::end_repetitions() {
  std::vector<std::string> ended;
  std::size_t at = 0;  // val_ex_ holds each style's validation names in turn
  for (std::size_t s = 0; s < ck_.state.styles.size(); ++s) {
    const std::size_t n = ck_.val_names[s].size();
    TrainState::Style& st = ck_.state.styles[s];
    if (st.repeated && n > 0 && balance_repeats(ck_.train_names, s) > 1) {
      const double loss = evaluate(std::vector<Example>(val_ex_.begin() + static_cast<std::ptrdiff_t>(at),
                                                        val_ex_.begin() + static_cast<std::ptrdiff_t>(at + n)));
      if (loss < st.best_val_loss) {
        st.best_val_loss = loss;
        st.evals_since_best = 0;
      } else if (++st.evals_since_best >= ck_.settings.balance_patience) {
        st.repeated = false;
        ended.push_back(ck_.styles[s]);
      }
    }
    at += n;
  }
  if (!ended.empty()) {  // the next batch is drawn from the new epoch's examples
    encode_training_names();
    batcher_.emplace(train_ex_, ck_.settings.batch, ck_.settings.seed);
  }
  return ended;
}

void TrainingRun::take_step(const Batch& b) {
  const int64_t s = ck_.state.step + 1;
  model_->train_step(b, train_step_options(ck_.settings, s), adamw_args(ck_.settings, s));
  pending_targets_.push_back(b.num_targets);
  ck_.state.step = s;
  ck_.state.epoch = (s - 1) / static_cast<int64_t>(batcher_->batches_per_epoch());
}

TrainingRun::Losses TrainingRun::read_losses() {
  const std::vector<Model<float>::StepLog> logged = model_->take_step_log();
  if (logged.size() != pending_targets_.size()) throw Error("internal: the step log lost steps");
  const int64_t first = ck_.state.step - static_cast<int64_t>(logged.size()) + 1;
  Losses l;
  for (std::size_t i = 0; i < logged.size(); ++i) {
    l.last = logged[i].nll / static_cast<double>(pending_targets_[i]);
    if (!std::isfinite(l.last)) {
      pending_targets_.clear();
      throw Error("training diverged at step " + std::to_string(first + static_cast<int64_t>(i)) + ": the loss is " +
                  (std::isnan(l.last) ? "NaN" : "Inf") + " (try a lower --lr); the checkpoints are untouched");
    }
    if (i == 0) l.first = l.last;
    l.nll += logged[i].nll;
    l.tokens += pending_targets_[i];
    ++l.steps;
  }
  pending_targets_.clear();
  return l;
}

double TrainingRun::evaluate() { return evaluate(val_ex_); }

double TrainingRun::evaluate(const std::vector<Example>& names) {
  if (!model_->has_average()) return wuxia::evaluate(*model_, names, eval_batch_).loss();
  // The average in the parameters' place for the evaluation, and back even if it throws.
  struct Swapped {
    Model<float>& m;
    explicit Swapped(Model<float>& model) : m(model) { m.swap_average(); }
    ~Swapped() { m.swap_average(); }
  } swapped(*model_);
  return wuxia::evaluate(*model_, names, eval_batch_).loss();
}

TrainingRun::Evaluation TrainingRun::evaluate_and_checkpoint(const std::string& best_path,
                                                             const std::string& last_path) {
  Evaluation ev;
  ev.val_loss = evaluate();
  if (!std::isfinite(ev.val_loss)) {
    throw Error("training diverged at step " + std::to_string(ck_.state.step) +
                ": validation loss is not finite; the checkpoints are untouched");
  }
  ev.improved = ck_.settings.keep_last || ev.val_loss < ck_.state.best_val_loss;
  if (ck_.settings.balance_patience > 0) ev.repetition_ended = end_repetitions();
  if (ev.improved) {
    ck_.state.best_val_loss = ev.val_loss;
    ck_.state.best_step = ck_.state.step;
    ck_.state.evals_since_best = 0;
  } else {
    ++ck_.state.evals_since_best;
  }
  ev.evals_since_best = ck_.state.evals_since_best;
  if ((ev.improved && !best_path.empty()) || !last_path.empty()) snapshot();
  if (ev.improved && !best_path.empty()) {
    if (ck_.average.empty()) {
      save_checkpoint(best_path, ck_);
    } else {  // the weights that were evaluated, as the model's parameters
      Checkpoint best = ck_;
      best.params = std::move(best.average);
      best.average.clear();
      best.adam_m.clear();
      best.adam_v.clear();
      best.anchor.clear();
      save_checkpoint(best_path, best);
    }
  }
  if (!last_path.empty()) save_checkpoint(last_path, ck_);
  return ev;
}

const Checkpoint& TrainingRun::snapshot() {
  ck_.params = model_->get_params();
  ck_.adam_m = model_->get_moment(0);
  ck_.adam_v = model_->get_moment(1);
  if (model_->has_average()) ck_.average = model_->get_average();
  return ck_;
}

}  // namespace wuxia
