#include "wuxia/base_model.hpp"

#include <algorithm>
#include <filesystem>
#include <unordered_set>

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

}  // namespace wuxia
