#pragma once
// The naming helper's search (`wuxia name`, `wuxia serve`): the likeliest new
// given names for a surname under a model, with every per-character wish
// (level, ill-omened, --exclude, --avoid, --tones, --with, the surname's
// character, 叠字, a line of a classic crediting the pair, a title, a
// namesake, a whole name that sounds like a word of data/sounds_like.tsv) a
// mask inside the search, so that a strict request still fills its list.
#include <string>
#include <vector>

#include "wuxia/data/names.hpp"
#include "wuxia/data/vocab.hpp"
#include "wuxia/infer/ensemble.hpp"
#include "wuxia/model/model.hpp"
#include "wuxia/naming/explain.hpp"
#include "wuxia/naming/name_request.hpp"

namespace wuxia {

struct NameProposal {
  Explanation explanation;
  double log_likelihood = 0;  // log P(name | style), nats, END included
  // What the list is ranked by: log_likelihood + log P(the sex asked | given
  // name) (sex_lean.hpp; 0 for --gender any). Their sum is the log of the joint
  // chance that the model writes the name and that it reads as the sex asked.
  double score = 0;
  // The today term of its given characters (today.hpp; 0 for --era history),
  // part of the score: score = log_likelihood + the sex term + today.
  double today = 0;
};

struct NameSearchStats {
  int64_t candidates = 0;    // complete names scored
  int64_t known = 0;         // passed over in the search: the model's training or validation names
  int64_t other_sex = 0;     // passed over: reads as the other sex, or has no lean, with --gender girl|boy
  int64_t titles = 0;        // passed over: the given name reads as a title (data/titles.tsv: 先生, 明帝, 氏女)
  int64_t namesakes = 0;     // passed over: a person of the bundled lists (namesakes.hpp), unless allow_namesakes
  int64_t past_variety = 0;  // names in the list past the variety cap (too few candidates otherwise)
  // Passed over: sounds like a word of data/sounds_like.tsv (without
  // allow_sounds_like); a first character that already does with the surname
  // counts once, for all the names it would begin.
  int64_t sounds_like = 0;
};

// The names a model was trained on (a checkpoint's train_names and
// val_names, every style): a proposal is never one of them. Lists, not a
// set: the search keeps those of the surname and length asked in one pass,
// which costs less than hashing all 266k names to answer a shortlist.
struct KnownNames {
  const std::vector<std::vector<std::u32string>>* train = nullptr;  // may be null
  const std::vector<std::vector<std::u32string>>* val = nullptr;    // may be null
};

// How many of the names one given character may appear in (the --with
// character aside): a list of 50 holds each character at most 5 times.
int variety_cap(int n);

// Throws wuxia::Error naming the field (check_request, then the surname's and
// --with's characters against the model's vocabulary). Deterministic.
// `stats` (may be null) receives the counts above.
// Under an ensemble, the mixture's log-probabilities rank the names.
std::vector<NameProposal> propose_names(Ensemble& model, const Vocab& vocab, const KnownNames& known,
                                        const NamingData& data, const NameRequest& q, NameSearchStats* stats = nullptr,
                                        const RequestFields& fields = {});
std::vector<NameProposal> propose_names(Model<float>& model, const Vocab& vocab, const KnownNames& known,
                                        const NamingData& data, const NameRequest& q, NameSearchStats* stats = nullptr,
                                        const RequestFields& fields = {});

// The proposal as JSON: to_json(explanation) plus "log_likelihood", "today" and "score".
nlohmann::json to_json(const NameProposal& p);

}  // namespace wuxia
