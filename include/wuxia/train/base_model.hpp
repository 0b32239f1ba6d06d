#pragma once
// The default route (docs/QUALITY.md): a base model pretrained once on the
// bundled corpora (data/ancient.txt, data/poets.txt: 266k real names) into a
// cached folder, which a cast then fine-tunes from (train --init): the
// recipe, and when it applies (take_default_route).
#include <cstdint>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "wuxia/model/backend.hpp"

#include "wuxia/train/trainer.hpp"
#include "wuxia/train/training_run.hpp"

namespace wuxia {

// The base's shape and schedule (chosen in docs/QUALITY.md). The learning
// rate is above train's default: 266k names in 3000 steps is three epochs,
// and at 1e-2 the base reaches in them what 3e-3 reaches in 6000 steps
// (2e-2 is unsteady and ends worse).
inline constexpr int kBaseEmbed = 128, kBaseHidden = 256, kBaseLayers = 1, kBaseBatch = 256;
inline constexpr double kBaseDropout = 0.1, kBaseLr = 1e-2;
inline constexpr int64_t kBaseSteps = 3000, kBaseEvalEvery = 500;

// The base's training run: the corpora under `data_dir` as styles "ancient"
// and "poets", into `out_dir`.
TrainOptions base_training(const std::string& data_dir, const std::string& out_dir, int64_t steps = kBaseSteps);

// A fine-tune's defaults (from docs/QUALITY.md's search): what `o` takes for
// each of steps, lr, dropout, eval-every, patience, new-styles-lr,
// balance-styles (on), and with two styles or more in o.data,
// balance-patience (3, with balance-styles) and keep-last (on), unless `given` (flag names without "--") has it (or, for
// new-styles-lr, base-rows-lr). A cast of a thousand names overfits a base
// this size within a few hundred steps: evaluations every 10 steps. New
// styles start alike (the mean START row), and at the fine-tune's rate two
// casts would still be alike when it stops; and the larger cast would set
// the shared weights for both (docs/QUALITY.md, "Both casts in one model").
// The smaller cast, repeated, turns first (about step 120, Jin Yong's common
// names gain to step 300): its repetition ends when it turns, and the run
// keeps its end ("Which checkpoint the fine-tune keeps").
void apply_fine_tune_defaults(TrainOptions& o, const std::set<std::string>& given);
inline constexpr int64_t kTuneSteps = 300, kTuneEvalEvery = 10, kTunePatience = 10, kTuneBalancePatience = 3;
inline constexpr double kTuneLr = 1e-3, kTuneDropout = 0.5, kTuneNewStylesLr = 300;

// The share of the distinct characters of `names` that also occur in the
// corpora under `data_dir` (0 when they are absent): whether a base
// pretrained on them has anything to offer these names.
double corpus_coverage(const std::string& data_dir, const std::vector<std::vector<std::u32string>>& names);
// The same against a vocabulary's characters (a base model's, once it
// exists: cheaper than reading the corpora again).
double vocab_coverage(const std::vector<char32_t>& chars, const std::vector<std::vector<std::u32string>>& names);

// Where a train command keeps its base, and whether it wants one.
struct BaseRoute {
  std::string dir = "runs/base";  // --base-dir: where the base is made and kept
  int64_t steps = kBaseSteps;     // --base-steps: how long it is pretrained when it is made
  bool from_scratch = false;      // --from-scratch: no base
};

// The default route for run `o`, before train(o): unless the run resumes,
// has --init, is asked to train from scratch, was given a model shape, or is
// on names the corpora hardly know (say, Latin letters), pretrains the base
// in route.dir (or carries on an interrupted pretraining, or reuses a
// finished one) on `backend` and sets o.init to its best checkpoint. Then,
// for any fine-tune, applies the fine-tune defaults for the flags not in
// `given` (flag names without "--"). Notes go to `out` unless o.quiet.
// Returns the signal that stopped the pretraining, 0 when none did.
int take_default_route(TrainOptions& o, const BaseRoute& route, const std::set<std::string>& given,
                       Backend<float>& backend, std::ostream& out);

// `wuxia train` after its flags: the output folder checked (writable, held
// by no other run, holding no model to lose) before any data is read, the
// default route taken, and the run trained on `backend`. A signal that
// stopped the base's pretraining or the run is in the result's `signal`.
TrainResult train_with_route(TrainOptions& o, const BaseRoute& route, const std::set<std::string>& given,
                             Backend<float>& backend, std::ostream& out);

}  // namespace wuxia
