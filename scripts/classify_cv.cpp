// Cross-validation of `wuxia classify` settings on the two bundled casts
// (docs/classify.md). The held-out names of tests/test_scoring.cpp (the
// seed-7 validation split) are never looked at unless `final=1`: settings are
// compared by stratified k-fold cross-validation on the other names only.
//
// For every fold and every model seed it trains one model on the other folds
// and records, at every `eval_every` steps, log P(name | style) of each dev
// name under each style. Classification is Bayes with the fold's training
// shares as priors. It prints, per checkpoint rule (step N; "best" = lowest dev
// loss, the rule of `train`'s best.safetensors), accuracy and balanced
// accuracy as mean ± standard error across folds, for single models (mean over
// seeds) and for the ensemble that averages P(name | style) over the seeds.
//
//   cmake -B build && cmake --build build -j2 --target classify_cv    (WUXIA_TOOLS=ON, the default)
//   build/classify_cv embed=32 hidden=128 dropout=0.5 steps=800 seeds=7
//
// Keys (key=value): folds (5), fold_seed (1), seeds (7; comma list), embed,
// hidden, layers, dropout, steps, lr, wd, batch, eval_every (100), init (a
// checkpoint to fine-tune from, as train --init; its shape wins), balance (0: 1 =
// the smaller cast is repeated until both casts have as many training
// examples), final (0: 1 = train on all non-held-out names, report on the
// held-out names; the "best" rule then picks the checkpoint on those names,
// as the test does).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/data/batch.hpp"
#include "wuxia/data/names.hpp"
#include "wuxia/infer/evaluate.hpp"
#include "wuxia/infer/scoring.hpp"
#include "wuxia/model/model.hpp"
#include "wuxia/model/params.hpp"
#include "wuxia/store/checkpoint.hpp"
#include "wuxia/train/training_run.hpp"

using namespace wuxia;

namespace {

using Lists = std::vector<std::vector<std::u32string>>;

struct Scores {               // one model at one checkpoint on one fold's dev names
  std::vector<double> ll[2];  // log P(name | style)
  double dev_loss = 0;        // mean NLL per token under the true style
};

struct Fold {
  Lists train, dev;
};

// With `balance`, the smaller cast's names repeated until both casts have as many.
Lists balanced(const Lists& train, uint64_t seed) {
  std::size_t most = 0;
  for (const auto& l : train) most = std::max(most, l.size());
  Lists grown(train.size());
  for (std::size_t s = 0; s < train.size(); ++s) {
    const auto& l = train[s];
    const std::size_t copies = most / l.size(), extra = most % l.size();
    for (std::size_t c = 0; c < copies; ++c) grown[s].insert(grown[s].end(), l.begin(), l.end());
    const auto perm = permutation(l.size(), seed, 99, s);
    for (std::size_t i = 0; i < extra; ++i) grown[s].push_back(l[perm[i]]);
  }
  return grown;
}

// Trains one model as `wuxia train` would (a TrainingRun: fresh, or from
// o.init's weights); returns the dev scores at every eval point (keyed by step).
std::map<int64_t, Scores> run(const Fold& f, TrainOptions o, uint64_t seed, int64_t eval_every, bool balance) {
  cpu::CpuBackend<float> be(1);
  o.settings.seed = seed;
  o.quiet = true;
  std::ostringstream log;
  TrainingRun tr(o, RunNames{{"jinyong", "gulong"}, balance ? balanced(f.train, seed) : f.train, f.dev}, be, log);
  const int style[2] = {tr.vocab().style_index("jinyong"), tr.vocab().style_index("gulong")};
  std::vector<std::u32string> names;
  for (const auto& l : f.dev) names.insert(names.end(), l.begin(), l.end());
  std::map<int64_t, Scores> out;
  while (tr.step() < tr.total_steps()) {
    tr.take_step();
    const int64_t step = tr.step();
    if (step % eval_every == 0 || step == tr.total_steps()) {
      tr.read_losses();  // throws, naming the step, if training diverged
      Scores sc;
      for (int st = 0; st < 2; ++st) sc.ll[st] = log_likelihoods(tr.model(), tr.vocab(), names, style[st]);
      sc.dev_loss = tr.evaluate();
      out[step] = std::move(sc);
    }
  }
  return out;
}

struct Metrics {
  double acc, balanced, majority;
};

Metrics score(const std::vector<std::vector<double>>& ll_by_model0,
              const std::vector<std::vector<double>>& ll_by_model1, const std::vector<int>& truth,
              const std::vector<double>& priors) {
  int right = 0, major = 0, r[2] = {0, 0}, n[2] = {0, 0};
  const int maj = priors[0] >= priors[1] ? 0 : 1;
  const std::size_t M = ll_by_model0.size();
  for (std::size_t i = 0; i < truth.size(); ++i) {
    double lp[2];
    for (int st = 0; st < 2; ++st) {  // log of the mean likelihood over models
      const auto& L = st == 0 ? ll_by_model0 : ll_by_model1;
      double mx = -INFINITY;
      for (std::size_t m = 0; m < M; ++m) mx = std::max(mx, L[m][i]);
      double z = 0;
      for (std::size_t m = 0; m < M; ++m) z += std::exp(L[m][i] - mx);
      lp[st] = mx + std::log(z / static_cast<double>(M)) + std::log(priors[st]);
    }
    const int guess = lp[1] > lp[0] ? 1 : 0;
    right += guess == truth[i];
    r[truth[i]] += guess == truth[i];
    ++n[truth[i]];
    major += truth[i] == maj;
  }
  const double N = static_cast<double>(truth.size());
  return {right / N, 0.5 * (static_cast<double>(r[0]) / n[0] + static_cast<double>(r[1]) / n[1]), major / N};
}

std::string mean_se(const std::vector<double>& x) {
  double m = 0, v = 0;
  for (double a : x) m += a;
  m /= static_cast<double>(x.size());
  for (double a : x) v += (a - m) * (a - m);
  const double se = x.size() > 1 ? std::sqrt(v / static_cast<double>(x.size() - 1) / static_cast<double>(x.size())) : 0;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f ± %.3f", m, se);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> kv{{"folds", "5"},    {"fold_seed", "1"}, {"seeds", "7"},        {"embed", "32"},
                                        {"hidden", "128"}, {"dropout", "0.5"}, {"steps", "800"},      {"lr", "3e-3"},
                                        {"wd", "0.1"},     {"batch", "64"},    {"eval_every", "100"}, {"balance", "0"},
                                        {"final", "0"},    {"layers", "1"},    {"init", ""}};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto eq = a.find('=');
    if (eq == std::string::npos || !kv.count(a.substr(0, eq))) {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
    kv[a.substr(0, eq)] = a.substr(eq + 1);
  }
  const std::string dir = WUXIA_SOURCE_DATA_DIR;
  const std::vector<NameFile> files{load_name_file(dir + "/jinyong.txt", "jinyong"),
                                    load_name_file(dir + "/gulong.txt", "gulong")};
  Lists outer_train, held_out;
  split_names(files, 7, outer_train, held_out);  // the split of tests/test_scoring.cpp

  const int K = std::stoi(kv["folds"]);
  std::vector<Fold> folds;
  if (kv["final"] == "1") {
    folds.push_back({outer_train, held_out});
  } else {
    folds.resize(K);
    for (int k = 0; k < K; ++k) folds[k].train.assign(2, {}), folds[k].dev.assign(2, {});
    for (int s = 0; s < 2; ++s) {  // stratified: each style dealt round-robin over the folds
      const auto perm = permutation(outer_train[s].size(), std::stoull(kv["fold_seed"]), 98, s);
      for (std::size_t j = 0; j < perm.size(); ++j) {
        for (int k = 0; k < K; ++k) {
          (static_cast<int>(j % K) == k ? folds[k].dev : folds[k].train)[s].push_back(outer_train[s][perm[j]]);
        }
      }
    }
  }
  TrainOptions opts;
  opts.model.embed = std::stoi(kv["embed"]);
  opts.model.hidden = std::stoi(kv["hidden"]);
  opts.model.layers = std::stoi(kv["layers"]);
  opts.model.dropout = std::stod(kv["dropout"]);
  opts.settings.batch = std::stoi(kv["batch"]);
  opts.settings.lr = std::stod(kv["lr"]);
  opts.settings.weight_decay = std::stod(kv["wd"]);
  opts.init = kv["init"];
  if (!opts.init.empty()) {  // the base fixes the shape
    const Checkpoint base = load_checkpoint(opts.init);
    opts.model.embed = base.config.embed, opts.model.hidden = base.config.hidden,
    opts.model.layers = base.config.layers;
  }
  std::vector<uint64_t> seeds;
  {
    std::stringstream ss(kv["seeds"]);
    std::string t;
    while (std::getline(ss, t, ',')) seeds.push_back(std::stoull(t));
  }
  const int64_t steps = std::stoll(kv["steps"]), every = std::stoll(kv["eval_every"]);
  opts.steps = steps;
  const bool balance = kv["balance"] == "1";

  // rule -> per fold: single-model metrics (mean over seeds) and ensemble metrics
  std::map<std::string, std::vector<Metrics>> single, ens;
  std::vector<std::string> rules;
  for (int64_t st = every; st <= steps; st += every) rules.push_back("step " + std::to_string(st));
  if (steps % every) rules.push_back("step " + std::to_string(steps));
  rules.push_back("best");
  for (const auto& f : folds) {
    std::vector<int> truth;
    for (int s = 0; s < 2; ++s) truth.insert(truth.end(), f.dev[s].size(), s);
    const auto priors = style_priors(f.train);
    std::vector<std::map<int64_t, Scores>> runs;
    for (uint64_t seed : seeds) runs.push_back(run(f, opts, seed, every, balance));
    for (const auto& rule : rules) {
      std::vector<std::vector<double>> l0, l1;
      Metrics mean{0, 0, 0};
      for (const auto& r : runs) {
        int64_t at = 0;
        if (rule == "best") {
          double lo = INFINITY;
          for (const auto& [st, sc] : r)
            if (sc.dev_loss < lo) lo = sc.dev_loss, at = st;
        } else {
          at = std::stoll(rule.substr(5));
        }
        const Scores& sc = r.at(at);
        l0.push_back(sc.ll[0]);
        l1.push_back(sc.ll[1]);
        const Metrics m = score({sc.ll[0]}, {sc.ll[1]}, truth, priors);
        mean.acc += m.acc / runs.size(), mean.balanced += m.balanced / runs.size(), mean.majority = m.majority;
      }
      single[rule].push_back(mean);
      ens[rule].push_back(score(l0, l1, truth, priors));
    }
  }
  std::printf("# %s\n",
              [&] {
                std::string s;
                for (const auto& [k, v] : kv) s += k + "=" + v + " ";
                return s;
              }()
                  .c_str());
  std::printf("%-10s | %-15s | %-15s | %-15s | %-15s | %s\n", "rule", "acc (single)", "bal (single)", "acc (ensemble)",
              "bal (ensemble)", "majority");
  for (const auto& rule : rules) {
    auto col = [](const std::vector<Metrics>& v, double Metrics::*f) {
      std::vector<double> x;
      for (const auto& m : v) x.push_back(m.*f);
      return mean_se(x);
    };
    std::printf("%-10s | %-15s | %-15s | %-15s | %-15s | %s\n", rule.c_str(), col(single[rule], &Metrics::acc).c_str(),
                col(single[rule], &Metrics::balanced).c_str(), col(ens[rule], &Metrics::acc).c_str(),
                col(ens[rule], &Metrics::balanced).c_str(), col(single[rule], &Metrics::majority).c_str());
  }
  return 0;
}
