// The checkpoint schema: what wuxia keeps in a safetensors file. Each
// metadata entry is a JSON object written by a to_json and read back, with
// every field checked, by the matching from_json next to it; the byte format,
// the checksum and the atomic write are src/store/safetensors.cpp's.
#include "wuxia/store/checkpoint.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "safetensors.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/platform/error.hpp"

namespace wuxia {

using nlohmann::json;

int Checkpoint::default_style() const {
  for (std::size_t s = 0; s < train_names.size(); ++s) {
    if (!train_names[s].empty()) return static_cast<int>(s);
  }
  return 0;
}

NameSets Checkpoint::known_names() const { return NameSets::of(train_names, val_names); }

namespace {

// Typed access to a parsed JSON object with errors that name the field.
struct Fields {
  const json& j;
  std::string where;
  const json& get(const char* key, json::value_t type) const {
    auto it = j.find(key);
    if (it == j.end()) throw Error(where + ": missing field '" + key + "'");
    const bool ok = it->type() == type || (type == json::value_t::number_float && it->is_number()) ||
                    (type == json::value_t::number_integer && it->is_number_integer());
    if (!ok) throw Error(where + ": field '" + key + "' has the wrong type (" + it->type_name() + ")");
    return *it;
  }
  bool has(const char* key) const { return j.contains(key); }
  int64_t integer(const char* key) const { return get(key, json::value_t::number_integer).get<int64_t>(); }
  int int32(const char* key) const {
    const int64_t v = integer(key);
    if (v < INT32_MIN || v > INT32_MAX) throw Error(where + ": field '" + key + "' is out of range");
    return static_cast<int>(v);
  }
  double number(const char* key) const { return get(key, json::value_t::number_float).get<double>(); }
  std::string string(const char* key) const { return get(key, json::value_t::string).get<std::string>(); }
};

// ---- config ----
json config_to_json(const ModelConfig& c) {
  return {{"vocab", c.vocab}, {"embed", c.embed}, {"hidden", c.hidden}, {"layers", c.layers}, {"dropout", c.dropout}};
}
ModelConfig config_from_json(const Fields& f) {
  ModelConfig c;
  c.vocab = f.int32("vocab");
  c.embed = f.int32("embed");
  c.hidden = f.int32("hidden");
  c.layers = f.int32("layers");
  c.dropout = f.number("dropout");
  try {
    c.validate();
  } catch (const Error& e) {
    throw Error(f.where + ": " + e.what());
  }
  return c;
}

// ---- vocab: styles and characters (the config's vocab counts them) ----
json vocab_to_json(const Checkpoint& ck) {
  return {{"styles", ck.styles}, {"chars", utf8::encode(std::u32string(ck.chars.begin(), ck.chars.end()))}};
}
void vocab_from_json(const Fields& f, Checkpoint& ck) {
  for (const auto& s : f.get("styles", json::value_t::array)) {
    if (!s.is_string() || s.get<std::string>().empty()) throw Error(f.where + ".styles holds a non-name");
    ck.styles.push_back(s.get<std::string>());
  }
  const std::u32string chars = utf8::decode_or_throw(f.string("chars"), f.where + ".chars");
  ck.chars.assign(chars.begin(), chars.end());
  if (!std::is_sorted(ck.chars.begin(), ck.chars.end()) ||
      std::adjacent_find(ck.chars.begin(), ck.chars.end()) != ck.chars.end()) {
    throw Error(f.where + ".chars is not sorted and unique");
  }
  if (ck.styles.empty()) throw Error(f.where + ".styles is empty");
  const std::size_t v = 1 + ck.styles.size() + ck.chars.size();
  if (v != static_cast<std::size_t>(ck.config.vocab)) {
    throw Error(f.where + " has " + std::to_string(v) + " tokens but config.vocab is " +
                std::to_string(ck.config.vocab));
  }
}

// ---- settings ----
json settings_to_json(const TrainSettings& s) {
  json j = {{"batch", s.batch},
            {"lr", s.lr},
            {"weight_decay", s.weight_decay},
            {"clip", s.clip},
            {"warmup", s.warmup},
            {"decay_steps", s.decay_steps},
            {"min_lr_ratio", s.min_lr_ratio},
            {"seed", std::to_string(s.seed)}};  // a string: JSON numbers lose 64-bit integers
  if (s.ema > 0) j["ema"] = s.ema;
  if (s.l2sp > 0) j["l2sp"] = s.l2sp;
  if (s.base_rows_lr < 1) j["base_rows_lr"] = s.base_rows_lr;
  if (s.new_styles_lr > 1) j["new_styles_lr"] = s.new_styles_lr;
  if (s.balance_styles) j["balance_styles"] = true;
  if (s.balance_patience > 0) j["balance_patience"] = s.balance_patience;
  if (s.keep_last) j["keep_last"] = true;
  if (s.weight_drop > 0) j["weight_drop"] = s.weight_drop;
  if (s.locked_dropout > 0) j["locked_dropout"] = s.locked_dropout;
  if (s.embed_dropout > 0) j["embed_dropout"] = s.embed_dropout;
  if (s.precision != Precision::kFp32) j["precision"] = precision_name(s.precision);
  return j;
}
}  // namespace

std::string TrainSettings::flag(const std::string& key) {
  std::string f = "--" + key;
  std::replace(f.begin(), f.end(), '_', '-');
  return f;
}

void TrainSettings::validate(const std::function<std::string(const std::string& key)>& name) const {
  auto need = [&](bool ok, const char* key, const char* rule) {
    if (!ok) throw Error(name(key) + " must be " + rule);
  };
  need(batch >= 1, "batch", "at least 1");
  need(lr > 0 && std::isfinite(lr), "lr", "greater than 0");
  need(weight_decay >= 0, "weight_decay", "0 or more");
  need(clip >= 0, "clip", "0 (off) or more");
  need(ema >= 0 && ema < 1, "ema", "in [0, 1) (0 = off), e.g. 0.999");
  need(l2sp >= 0 && std::isfinite(l2sp), "l2sp", "0 (off) or more");
  need(base_rows_lr > 0 && base_rows_lr <= 1, "base_rows_lr", "in (0, 1] (1 = off), e.g. 0.3");
  need(new_styles_lr >= 1 && std::isfinite(new_styles_lr), "new_styles_lr", "1 (off) or more, e.g. 30");
  if (base_rows_lr != 1 && new_styles_lr != 1) {  // one mask marks the rows of either (Model::set_marked_rows)
    throw Error(name("new_styles_lr") + " and " + name("base_rows_lr") + " do not go together: give one of the two");
  }
  need(warmup >= -1, "warmup", "-1 (auto) or more");
  need(decay_steps >= 0, "decay_steps", "0 (auto) or more");
  need(weight_drop >= 0 && weight_drop < 1, "weight_drop", "in [0, 1) (0 = off), e.g. 0.2");
  need(locked_dropout >= 0 && locked_dropout < 1, "locked_dropout", "in [0, 1) (0 = off), e.g. 0.2");
  need(embed_dropout >= 0 && embed_dropout < 1, "embed_dropout", "in [0, 1) (0 = off), e.g. 0.2");
  need(balance_patience >= 0, "balance_patience", "0 (off) or more, e.g. 3");
}

namespace {
TrainSettings settings_from_json(const Fields& f) {
  TrainSettings s;
  s.batch = f.int32("batch");
  s.lr = f.number("lr");
  s.weight_decay = f.number("weight_decay");
  s.clip = f.number("clip");
  s.warmup = f.integer("warmup");
  s.decay_steps = f.integer("decay_steps");
  s.min_lr_ratio = f.number("min_lr_ratio");
  try {
    s.seed = std::stoull(f.string("seed"));
  } catch (const std::exception&) {
    throw Error(f.where + ".seed is not a number");
  }
  if (f.has("ema")) s.ema = f.number("ema");  // absent: off (and before issue 23)
  if (f.has("l2sp")) s.l2sp = f.number("l2sp");
  if (f.has("base_rows_lr")) s.base_rows_lr = f.number("base_rows_lr");     // absent: off
  if (f.has("new_styles_lr")) s.new_styles_lr = f.number("new_styles_lr");  // absent: off
  if (f.has("balance_styles")) s.balance_styles = f.get("balance_styles", json::value_t::boolean).get<bool>();
  if (f.has("balance_patience")) s.balance_patience = f.integer("balance_patience");  // absent: off
  if (f.has("keep_last")) s.keep_last = f.get("keep_last", json::value_t::boolean).get<bool>();
  if (s.balance_patience > 0 && !s.balance_styles) throw Error(f.where + ".balance_patience is on without balance_styles");
  // Absent: off (and before issue 29).
  for (auto [key, value] : {std::pair<const char*, double*>{"weight_drop", &s.weight_drop},
                            {"locked_dropout", &s.locked_dropout},
                            {"embed_dropout", &s.embed_dropout}}) {
    if (f.has(key)) *value = f.number(key);
  }
  if (f.has("precision")) s.precision = parse_precision(f.string("precision"), f.where + ".precision");  // absent: fp32
  s.validate([&](const std::string& key) { return f.where + "." + key; });
  return s;
}

// ---- state ----
json loss_to_json(double loss) { return std::isfinite(loss) ? json(loss) : json(nullptr); }
json state_to_json(const TrainState& s) {
  json j = {{"step", s.step},
            {"epoch", s.epoch},
            {"best_val_loss", loss_to_json(s.best_val_loss)},
            {"best_step", s.best_step},
            {"evals_since_best", s.evals_since_best}};
  if (!s.styles.empty()) {
    json styles = json::array();
    for (const auto& st : s.styles) {
      styles.push_back({{"best_val_loss", loss_to_json(st.best_val_loss)},
                        {"evals_since_best", st.evals_since_best},
                        {"repeated", st.repeated}});
    }
    j["styles"] = std::move(styles);
  }
  return j;
}
// A loss field that is a number, or null for none yet (infinity).
double loss_from_json(const Fields& f, const char* key) {
  const auto it = f.j.find(key);
  if (it == f.j.end()) throw Error(f.where + ": missing field '" + key + "'");
  if (it->is_number()) return it->get<double>();
  if (!it->is_null()) throw Error(f.where + ": field '" + key + "' has the wrong type");
  return std::numeric_limits<double>::infinity();
}
TrainState state_from_json(const Fields& f) {
  TrainState s;
  s.step = f.integer("step");
  s.epoch = f.integer("epoch");
  s.best_step = f.integer("best_step");
  s.best_val_loss = loss_from_json(f, "best_val_loss");
  if (f.has("evals_since_best")) s.evals_since_best = f.integer("evals_since_best");  // absent before --patience
  if (s.step < 0) throw Error(f.where + ".step is negative");
  if (s.evals_since_best < 0) throw Error(f.where + ".evals_since_best is negative");
  if (f.has("styles")) {  // absent: --balance-patience off
    std::size_t i = 0;
    for (const auto& sj : f.get("styles", json::value_t::array)) {
      const std::string where = f.where + ".styles[" + std::to_string(i++) + "]";
      if (!sj.is_object()) throw Error(where + " is not an object");
      const Fields sf{sj, where};
      TrainState::Style st;
      st.best_val_loss = loss_from_json(sf, "best_val_loss");
      st.evals_since_best = sf.integer("evals_since_best");
      st.repeated = sf.get("repeated", json::value_t::boolean).get<bool>();
      if (st.evals_since_best < 0) throw Error(where + ".evals_since_best is negative");
      s.styles.push_back(st);
    }
  }
  return s;
}

// ---- names: per style, by style name ----
json names_to_json(const std::vector<std::string>& styles, const std::vector<std::vector<std::u32string>>& names) {
  json j = json::object();
  for (std::size_t s = 0; s < styles.size(); ++s) {
    json list = json::array();
    if (s < names.size()) {
      for (const auto& n : names[s]) list.push_back(utf8::encode(n));
    }
    j[styles[s]] = std::move(list);
  }
  return j;
}
std::vector<std::vector<std::u32string>> names_from_json(const json& j, const std::vector<std::string>& styles,
                                                         const std::string& where) {
  std::vector<std::vector<std::u32string>> out(styles.size());
  if (!j.is_object()) throw Error(where + " is not an object");
  for (std::size_t s = 0; s < styles.size(); ++s) {
    auto it = j.find(styles[s]);
    if (it == j.end()) continue;
    if (!it->is_array()) throw Error(where + "." + styles[s] + " is not a list");
    for (const auto& n : *it) {
      if (!n.is_string()) throw Error(where + "." + styles[s] + " holds a non-string");
      out[s].push_back(utf8::decode_or_throw(n.get<std::string>(), where + "." + styles[s]));
    }
  }
  return out;
}
json all_names_to_json(const Checkpoint& ck) {
  return {{"train", names_to_json(ck.styles, ck.train_names)}, {"val", names_to_json(ck.styles, ck.val_names)}};
}
void all_names_from_json(const Fields& f, Checkpoint& ck) {
  ck.train_names = names_from_json(f.get("train", json::value_t::object), ck.styles, f.where + ".train");
  ck.val_names = names_from_json(f.get("val", json::value_t::object), ck.styles, f.where + ".val");
}

// ---- base_rows: the tokens the --init base had, as runs of ids ----
// {"ranges": [[first, last], ...]}, ascending, inclusive: a fine-tune's new
// tokens are few, so a handful of runs rather than V flags.
json base_rows_to_json(const std::vector<uint8_t>& rows) {
  json ranges = json::array();
  for (std::size_t t = 0; t < rows.size(); ++t) {
    if (!rows[t]) continue;
    std::size_t last = t;
    while (last + 1 < rows.size() && rows[last + 1]) ++last;
    ranges.push_back({t, last});
    t = last;
  }
  return {{"ranges", ranges}};
}
std::vector<uint8_t> base_rows_from_json(const Fields& f, int vocab) {
  std::vector<uint8_t> rows(static_cast<std::size_t>(vocab), 0);
  int64_t next = 0;  // ranges ascend and do not touch
  for (const auto& r : f.get("ranges", json::value_t::array)) {
    if (!r.is_array() || r.size() != 2 || !r[0].is_number_integer() || !r[1].is_number_integer()) {
      throw Error(f.where + ".ranges holds something other than [first, last] token ids");
    }
    const int64_t first = r[0].get<int64_t>(), last = r[1].get<int64_t>();
    if (first < next || last < first || last >= vocab) {
      throw Error(f.where + ".ranges: [" + std::to_string(first) + ", " + std::to_string(last) +
                  "] is out of order or outside the vocabulary of " + std::to_string(vocab));
    }
    std::fill(rows.begin() + first, rows.begin() + last + 1, uint8_t{1});
    next = last + 2;
  }
  return rows;
}

// ---- lineage: a list, nearest ancestor first ----
json lineage_to_json(const std::vector<Ancestor>& lineage) {
  json list = json::array();
  for (const auto& a : lineage) list.push_back({{"file", a.file}, {"checksum", a.checksum}, {"step", a.step}});
  return {{"ancestors", list}};
}
std::vector<Ancestor> lineage_from_json(const Fields& f) {
  std::vector<Ancestor> out;
  for (const auto& a : f.get("ancestors", json::value_t::array)) {
    if (!a.is_object()) throw Error(f.where + ".ancestors holds a non-object");
    const Fields af{a, f.where + ".ancestors[" + std::to_string(out.size()) + "]"};
    out.push_back({af.string("file"), af.string("checksum"), af.integer("step")});
  }
  return out;
}

// A metadata entry's JSON object.
json entry(const std::map<std::string, std::string>& meta, const char* key, const std::string& path) {
  auto it = meta.find(key);
  if (it == meta.end()) throw Error(path + ": metadata has no '" + key + "' entry");
  json j = json::parse(it->second, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw Error(path + ": metadata '" + key + "' is not a JSON object");
  return j;
}

// The tensors a checkpoint holds: parameters, then the moments when saved.
std::vector<std::pair<std::string, const float*>> tensor_sources(const Checkpoint& ck, const ParamLayout& layout) {
  std::vector<std::pair<std::string, const float*>> out;
  for (const auto& e : layout.entries()) out.emplace_back(e.name, ck.params.data() + e.offset);
  if (!ck.adam_m.empty()) {
    for (const auto& e : layout.entries()) out.emplace_back("optim.m." + e.name, ck.adam_m.data() + e.offset);
    for (const auto& e : layout.entries()) out.emplace_back("optim.v." + e.name, ck.adam_v.data() + e.offset);
  }
  if (!ck.average.empty()) {
    for (const auto& e : layout.entries()) out.emplace_back("ema." + e.name, ck.average.data() + e.offset);
  }
  if (!ck.anchor.empty()) {
    for (const auto& e : layout.entries()) out.emplace_back("anchor." + e.name, ck.anchor.data() + e.offset);
  }
  return out;
}

// The tensor groups besides the parameters: prefix, index in tensors_from_file's lists.
constexpr std::pair<const char*, int> kStateTensors[] = {{"optim.m.", 1}, {"optim.v.", 2}, {"ema.", 3}, {"anchor.", 4}};

// The parameter a tensor name refers to, and its group (0 = the parameter itself).
std::pair<std::string_view, int> split_tensor_name(std::string_view name) {
  for (const auto& [prefix, which] : kStateTensors) {
    const std::string_view p(prefix);
    if (name.substr(0, p.size()) == p) return {name.substr(p.size()), which};
  }
  return {name, 0};
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

// Which groups of training state a file holds besides the parameters.
struct StateTensors {
  bool moments = false, average = false, anchor = false;
};

// Checks every tensor entry of `f` against the config's layout (names,
// shapes, each group of training state all or none) without reading any;
// returns which groups are there.
StateTensors check_tensor_entries(const safetensors::File& f, const ParamLayout& layout) {
  // Before allocating: a config whose tensors cannot fit in the file is damaged.
  if (layout.total() > f.data_bytes / sizeof(float)) {
    throw Error(f.path + ": config needs " + std::to_string(layout.total()) +
                " parameters but the data section holds " + std::to_string(f.data_bytes / sizeof(float)) + " floats");
  }
  std::map<std::string_view, const ParamInfo*> expected;  // names held by `layout`
  for (const auto& e : layout.entries()) expected[e.name] = &e;
  std::size_t seen[5] = {0, 0, 0, 0, 0};  // params, m, v, average, anchor (kStateTensors)
  for (const auto& [name, t] : f.tensors) {
    const auto [base, which] = split_tensor_name(name);
    const auto e = expected.find(base);
    if (e == expected.end()) throw Error(f.path + ": unexpected tensor '" + name + "'");
    if (t.shape != e->second->shape) {
      throw Error(f.path + ": tensor '" + name + "' has shape " + shape_text(t.shape) + ", config expects " +
                  shape_text(e->second->shape));
    }
    ++seen[which];
  }
  const std::size_t n = layout.entries().size();
  if (seen[0] != n) {
    for (const auto& e : layout.entries()) {
      if (!f.tensors.count(e.name)) throw Error(f.path + ": missing tensor '" + e.name + "'");
    }
  }
  if (seen[1] || seen[2]) {
    if (seen[1] != n || seen[2] != n) throw Error(f.path + ": optimizer moments are incomplete");
  }
  if (seen[3] && seen[3] != n) throw Error(f.path + ": the parameter average (ema.*) is incomplete");
  if (seen[4] && seen[4] != n) throw Error(f.path + ": the --l2sp anchor (anchor.*) is incomplete");
  return StateTensors{seen[1] > 0, seen[3] > 0, seen[4] > 0};
}

// The tensors of `f` (read whole) into ck.params and the training state
// that is there (moments, --ema average, --l2sp anchor), each checked
// against the config's layout.
void tensors_from_file(const safetensors::File& f, Checkpoint& ck) {
  const ParamLayout layout(ck.config);
  const StateTensors has = check_tensor_entries(f, layout);
  std::vector<float>* const lists[5] = {&ck.params, &ck.adam_m, &ck.adam_v, &ck.average, &ck.anchor};
  const bool present[5] = {true, has.moments, has.moments, has.average, has.anchor};
  for (int i = 0; i < 5; ++i) {
    if (present[i]) {
      lists[i]->assign(layout.total(), 0.0f);
    } else {
      lists[i]->clear();
    }
  }
  for (const auto& [name, t] : f.tensors) {
    const auto [base, which] = split_tensor_name(name);
    f.copy_to(name, lists[which]->data() + layout.at(std::string(base)).offset);
  }
}

// Where the prefix checksum says the parameters are: the first bytes of the
// data section, in the layout's order, as save_checkpoint writes them.
// Returns their byte count, or 0 when the file has no prefix checksum.
std::size_t params_prefix(const safetensors::File& f, const ParamLayout& layout) {
  const std::size_t n = safetensors::prefix_checksum_bytes(f);
  if (n == 0) return 0;
  bool ok = n == layout.total() * sizeof(float);
  for (const auto& e : layout.entries()) {
    if (!ok) break;
    ok = f.tensors.at(e.name).offset == f.data_begin + e.offset * sizeof(float);
  }
  if (!ok) throw Error(f.path + ": the prefix checksum does not cover the parameters as written (damaged header?)");
  return n;
}

// Every metadata entry into a Checkpoint (no tensors); `names` too when asked.
Checkpoint metadata_from(const safetensors::File& f, bool with_names) {
  const auto& meta = f.metadata;
  const std::string& path = f.path;
  const auto format = meta.find("format");
  if (format == meta.end()) throw Error(path + ": no format entry in __metadata__ (not a wuxia checkpoint)");
  if (format->second != kCheckpointFormat) {
    throw Error(path + ": format '" + format->second + "' is not " + kCheckpointFormat);
  }
  Checkpoint ck;
  auto fields = [&](const char* key, const json& j) { return Fields{j, path + ": " + key}; };
  const json config = entry(meta, "config", path), vocab = entry(meta, "vocab", path),
             settings = entry(meta, "settings", path), state = entry(meta, "state", path);
  ck.config = config_from_json(fields("config", config));
  vocab_from_json(fields("vocab", vocab), ck);
  ck.settings = settings_from_json(fields("settings", settings));
  ck.state = state_from_json(fields("state", state));
  if (!ck.state.styles.empty() && ck.state.styles.size() != ck.styles.size()) {
    throw Error(path + ": state.styles has " + std::to_string(ck.state.styles.size()) + " entries for " +
                std::to_string(ck.styles.size()) + " styles");
  }
  if (with_names) {
    const json names = entry(meta, "names", path);
    all_names_from_json(fields("names", names), ck);
  }
  if (meta.count("lineage")) {
    const json lineage = entry(meta, "lineage", path);
    ck.lineage = lineage_from_json(fields("lineage", lineage));
  }
  if (meta.count("base_rows")) {
    const json rows = entry(meta, "base_rows", path);
    ck.base_rows = base_rows_from_json(fields("base_rows", rows), ck.config.vocab);
  }
  ck.checksum = meta.at("checksum");
  return ck;
}

void check_finite(const Checkpoint& ck, const std::string& path) {
  for (float x : ck.params) {
    if (!std::isfinite(x)) throw Error(path + ": parameters hold NaN or Inf");
  }
}

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& ck) {
  const ParamLayout layout(ck.config);
  if (ck.params.size() != layout.total()) throw Error("save_checkpoint: parameter count does not match the config");
  if (ck.adam_m.size() != ck.adam_v.size() || (!ck.adam_m.empty() && ck.adam_m.size() != layout.total())) {
    throw Error("save_checkpoint: optimizer moments do not match the config");
  }
  for (const auto* extra : {&ck.average, &ck.anchor}) {
    if (!extra->empty() && extra->size() != layout.total()) {
      throw Error("save_checkpoint: the parameter average or anchor does not match the config");
    }
  }
  std::vector<safetensors::TensorOut> tensors;
  for (const auto& [name, data] : tensor_sources(ck, layout)) {
    const ParamInfo& info = layout.at(std::string(split_tensor_name(name).first));
    tensors.push_back({name, info.shape, data, info.size});
  }
  std::map<std::string, std::string> meta{{"format", kCheckpointFormat},
                                          {"config", config_to_json(ck.config).dump()},
                                          {"vocab", vocab_to_json(ck).dump()},
                                          {"settings", settings_to_json(ck.settings).dump()},
                                          {"state", state_to_json(ck.state).dump()},
                                          {"names", all_names_to_json(ck).dump()}};
  if (!ck.lineage.empty()) meta["lineage"] = lineage_to_json(ck.lineage).dump();
  if (!ck.base_rows.empty()) {
    if (ck.base_rows.size() != static_cast<std::size_t>(ck.config.vocab)) {
      throw Error("save_checkpoint: base_rows does not match the vocabulary");
    }
    meta["base_rows"] = base_rows_to_json(ck.base_rows).dump();
  }
  // The parameters come first: the prefix checksum covers them, for readers of them alone.
  safetensors::write(path, tensors, meta, layout.entries().size());
}

Checkpoint load_checkpoint(const std::string& path) {
  const safetensors::Reader in(path);
  return parse_checkpoint(in.read_all(), path);
}

Checkpoint parse_checkpoint(std::string_view bytes, const std::string& path) {
  const safetensors::File f = safetensors::parse(bytes, path);
  Checkpoint ck = metadata_from(f, true);
  tensors_from_file(f, ck);
  safetensors::verify_checksum(f);  // after the checks above, so that a damaged value they catch is named
  if (const std::size_t n = params_prefix(f, ParamLayout(ck.config))) {
    safetensors::verify_prefix_checksum(f, bytes.data() + f.data_begin, n);
  }
  check_finite(ck, path);
  return ck;
}

Checkpoint load_checkpoint_for_inference(const std::string& path, bool with_names) {
  const safetensors::Reader in(path);
  const safetensors::File f = safetensors::read_header(in);
  Checkpoint ck = metadata_from(f, with_names);
  const ParamLayout layout(ck.config);
  check_tensor_entries(f, layout);
  const std::size_t n = params_prefix(f, layout);
  if (n == 0) {  // written before the prefix checksum: read and checked whole
    ck = parse_checkpoint(in.read_all(), path);
    if (!with_names) ck.train_names.clear(), ck.val_names.clear();
    for (auto* state : {&ck.adam_m, &ck.adam_v, &ck.average, &ck.anchor}) std::vector<float>().swap(*state);
    return ck;
  }
  ck.params.resize(layout.total());
  in.read_at(f.data_begin, n, ck.params.data());
  safetensors::verify_prefix_checksum(f, ck.params.data(), n);
  check_finite(ck, path);
  return ck;
}

Checkpoint peek_checkpoint(const std::string& path) {
  const safetensors::Reader in(path);
  const safetensors::File f = safetensors::read_header(in);
  Checkpoint ck = metadata_from(f, false);
  check_tensor_entries(f, ParamLayout(ck.config));
  return ck;
}

std::size_t remove_interrupted_writes(const std::string& dir) { return safetensors::remove_stale_temps(dir); }

}  // namespace wuxia
