#include "api.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "wuxia/data/utf8.hpp"
#include "wuxia/infer/sampler.hpp"
#include "wuxia/infer/scoring.hpp"
#include "wuxia/naming/explain.hpp"
#include "wuxia/naming/name_search.hpp"

namespace wuxia::serve {

std::string field_of_message(const std::string& message, const std::vector<std::string>& fields) {
  const std::size_t start = message.rfind("--", 0) == 0 ? 2 : message.rfind("-", 0) == 0 ? 1 : 0;
  std::size_t end = start;
  while (end < message.size() && (std::isalnum(static_cast<unsigned char>(message[end])) || message[end] == '-')) ++end;
  const std::string token = message.substr(start, end - start);
  if (start > 0) return token;
  if (end < message.size() && message[end] != ' ' && message[end] != ':') return "";
  return std::find(fields.begin(), fields.end(), token) != fields.end() ? token : "";
}

Body::Body(const std::string& text) {
  try {
    j_ = json::parse(text);
  } catch (const json::exception& e) {
    // parse_error, and out_of_range for a number no double holds (1e400).
    throw RequestError("", std::string("malformed JSON: ") + e.what());
  }
  if (!j_.is_object()) throw RequestError("", "the body must be a JSON object, not " + std::string(j_.type_name()));
}

const json* Body::find(const std::string& key) {
  read_.push_back(key);
  const auto it = j_.find(key);
  return it == j_.end() || it->is_null() ? nullptr : &*it;
}

std::optional<int64_t> Body::integer(const std::string& key, int64_t lo, int64_t hi) {
  const json* v = find(key);
  if (!v) return std::nullopt;
  // 20.0 is an integer to JavaScript, whose numbers are all doubles.
  int64_t x = 0;
  if (v->is_number_integer()) {
    if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      throw RequestError(key, key + " must be from " + std::to_string(lo) + " to " + std::to_string(hi));
    }
    x = v->get<int64_t>();
  } else if (v->is_number_float() && std::trunc(v->get<double>()) == v->get<double>() &&
             std::fabs(v->get<double>()) < 9e15) {
    x = static_cast<int64_t>(v->get<double>());
  } else {
    throw RequestError(key, key + " must be an integer, not " + v->dump());
  }
  if (x < lo || x > hi) {
    throw RequestError(
        key, key + " must be from " + std::to_string(lo) + " to " + std::to_string(hi) + ", not " + std::to_string(x));
  }
  return x;
}

std::optional<uint64_t> Body::seed(const std::string& key) {
  const json* v = find(key);
  if (!v) return std::nullopt;
  if (v->is_number_unsigned()) return v->get<uint64_t>();
  // A seed above 2^53 would not survive JavaScript's numbers: it may come as
  // a string of digits.
  if (v->is_string()) {
    const std::string s = v->get<std::string>();
    if (!s.empty() && s.size() <= 20 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      try {
        return std::stoull(s);
      } catch (const std::out_of_range&) {
      }
    }
  }
  throw RequestError(key, key + " must be an integer from 0 to 2^64 - 1, not " + v->dump());
}

std::optional<double> Body::number(const std::string& key) {
  const json* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_number()) throw RequestError(key, key + " must be a number, not " + v->dump());
  return v->get<double>();
}

std::optional<std::string> Body::string(const std::string& key) {
  const json* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) throw RequestError(key, key + " must be a string, not " + v->dump());
  return v->get<std::string>();
}

std::optional<bool> Body::flag(const std::string& key) {
  const json* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) throw RequestError(key, key + " must be true or false, not " + v->dump());
  return v->get<bool>();
}

std::vector<std::string> Body::strings(const std::string& key) {
  const json* v = find(key);
  std::vector<std::string> out;
  if (!v) return out;
  if (v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    std::size_t start = 0;
    while (start <= s.size()) {
      const std::size_t comma = std::min(s.find(',', start), s.size());
      if (comma > start) out.push_back(s.substr(start, comma - start));
      start = comma + 1;
    }
    return out;
  }
  if (v->is_array()) {
    for (const auto& e : *v) {
      if (!e.is_string()) throw RequestError(key, key + " must hold strings, not " + e.dump());
      out.push_back(e.get<std::string>());
    }
    return out;
  }
  throw RequestError(key, key + " must be a list of strings, not " + v->dump());
}

void Body::no_other_fields() const {
  for (const auto& [key, value] : j_.items()) {
    if (std::find(read_.begin(), read_.end(), key) == read_.end()) {
      throw RequestError(key, "unknown field '" + key + "'");
    }
  }
}

ServedModel& Models::choose(const std::string& checkpoint, const std::string& style) {
  std::string served;
  for (const auto& m : list_) {
    if (!checkpoint.empty() && m->path() != checkpoint) continue;
    if (style.empty() || m->vocab().style_index(style) >= 0) return *m;
  }
  if (!checkpoint.empty()) {
    for (const auto& m : list_) {
      if (m->path() != checkpoint) continue;
      std::string known;
      for (const auto& k : m->vocab().styles()) known += (known.empty() ? "" : ", ") + k;
      throw RequestError("style", "style " + style + ": " + checkpoint + " knows " + known);
    }
    for (const auto& m : list_) served += (served.empty() ? "" : ", ") + m->path();
    throw RequestError("checkpoint", "checkpoint " + checkpoint + " is not served (served: " + served + ")");
  }
  std::string known;
  for (const auto& m : list_) {
    for (const auto& k : m->vocab().styles()) known += (known.empty() ? "" : ", ") + k;
  }
  throw RequestError("style", "style " + style + ": the models served know " + known);
}

namespace {

json lineage_json(const Checkpoint& ck) {
  json a = json::array();
  for (const auto& l : ck.lineage) a.push_back({{"file", l.file}, {"checksum", l.checksum}, {"step", l.step}});
  return a;
}

// The styles this checkpoint's own training names are in (a fine-tune also
// knows its base's styles, but was not trained on them).
std::vector<std::string> trained_styles(const Checkpoint& ck) {
  std::vector<std::string> out;
  for (std::size_t s = 0; s < ck.styles.size(); ++s) {
    if (s < ck.train_names.size() && !ck.train_names[s].empty()) out.push_back(ck.styles[s]);
  }
  return out;
}

}  // namespace

json api_health(const Models& models) { return {{"status", "ok"}, {"models", models.list().size()}}; }

json api_models(const Models& models) {
  json out = json::array();
  for (const auto& m : models.list()) {
    const Checkpoint& ck = m->checkpoint();
    out.push_back({{"checkpoint", m->path()},
                   {"styles", ck.styles},
                   {"default_style", ck.styles.at(ck.default_style())},
                   {"trained_styles", trained_styles(ck)},
                   {"step", ck.state.step},
                   {"checksum", ck.checksum},
                   {"config",
                    {{"vocab", ck.config.vocab},
                     {"embed", ck.config.embed},
                     {"hidden", ck.config.hidden},
                     {"layers", ck.config.layers}}},
                   {"lineage", lineage_json(ck)}});
  }
  return {{"models", out}};
}

json api_sample(Models& models, Body& body) {
  SampleOptions o = list_defaults();
  o.n = static_cast<int>(body.integer("n", 0, kMaxRequestNames).value_or(o.n));
  o.temperature = body.number("temperature").value_or(o.temperature);
  o.top_k = static_cast<int>(body.integer("top-k", 0, INT32_MAX).value_or(o.top_k));
  o.top_p = body.number("top-p").value_or(o.top_p);
  const auto min_len = body.integer("min-len", INT32_MIN, INT32_MAX);
  if (min_len) o.min_len = static_cast<int>(*min_len);
  const auto max_len = body.integer("max-len", INT32_MIN, INT32_MAX);
  if (max_len) o.max_len = static_cast<int>(*max_len);
  o.novel = body.flag("novel").value_or(false);
  if (const auto p = body.string("prefix")) {
    try {
      o.prefix = utf8::decode_or_throw(*p, "prefix");
    } catch (const Error& e) {
      throw RequestError("prefix", e.what());
    }
  }
  const auto seed = body.seed("seed");
  o.seed = seed ? *seed : fresh_seed();
  const std::string style = body.string("style").value_or("");
  const std::string checkpoint = body.string("checkpoint").value_or("");
  body.no_other_fields();
  o.validate_flags();  // the command's own checks, before a model is chosen

  ServedModel& m = models.choose(checkpoint, style);
  o.style = style.empty() ? m.checkpoint().default_style() : m.vocab().style_index(style);
  apply_length_defaults(o, m.checkpoint().train_names, min_len.has_value(), max_len.has_value());  // as `wuxia sample`
  o.validate(m.vocab());
  // However hard the request is to satisfy, it holds a worker (and keeps a
  // stopping server waiting) for at most this long.
  o.max_seconds = kSampleSeconds;
  o.words = &models.words.set();  // as `wuxia sample` without --allow-words or --allow-rare-endings
  o.rare_endings = m.rare_endings();
  SampleStats stats;
  std::vector<SampledName> names;
  {
    auto lease = m.borrow();
    names = sample_names(lease.model(), m.vocab(), m.known_names(), o, &stats);
  }
  json list = json::array();
  for (const auto& s : names) list.push_back({{"name", utf8::encode(s.name)}, {"origin", origin_label(s.origin)}});
  json out = {{"checkpoint", m.path()},
              {"style", m.vocab().styles()[o.style]},
              {"seed", o.seed},
              {"names", list},
              {"attempts", stats.attempts}};
  if (static_cast<int>(names.size()) < o.n) {
    // What `wuxia sample` says on stderr (with exit status 3) when it falls short.
    out["shortfall"] = describe_shortfall(stats, names.size(), o.n) +
                       (stats.out_of_time ? "; stopped at the server's limit of " +
                                                std::to_string(static_cast<int>(kSampleSeconds)) + " s a request"
                                          : "");
  }
  return out;
}

namespace {

// The model the naming helper uses unless asked for another: as `wuxia
// name` defaults to the base in style `ancient` (the historical names), the
// first served that was trained on that style (a cast fine-tuned from the
// base knows the style but has left it), else the first that knows it.
ServedModel& naming_model(Models& models, const std::string& checkpoint, const std::string& style) {
  if (checkpoint.empty() && style.empty()) {
    for (const auto& m : models.list()) {
      if (m->checkpoint().styles.at(m->checkpoint().default_style()) == "ancient") return *m;
    }
    for (const auto& m : models.list()) {
      if (m->vocab().style_index("ancient") >= 0) return *m;
    }
  }
  return models.choose(checkpoint, style);
}

int naming_style(const ServedModel& m, const std::string& style) {
  if (!style.empty()) return m.vocab().style_index(style);  // choose() checked it
  const int ancient = m.vocab().style_index("ancient");
  return ancient >= 0 ? ancient : m.checkpoint().default_style();
}

// The naming checks' messages begin with the field they were given.
const RequestFields kJsonFields = json_request_fields();
const std::vector<std::string> kNameFields = {"surname", "gender",  "level",      "tones", "given-len",   "with",
                                              "exclude", "avoid",   "source",     "n",     "max-strokes", "style",
                                              "names",   "samples", "checkpoint", "era",   "lean"};

// Runs `f`, turning a wuxia::Error into a RequestError about its field.
template <class F>
auto naming_call(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const RequestError&) {
    throw;
  } catch (const Error& e) {
    throw RequestError(field_of_message(e.what(), kNameFields), e.what());
  }
}

}  // namespace

NameRequest name_request_from_json(Body& body) {
  return naming_call([&] {
    NameRequestInput in;
    in.surname = body.string("surname");
    in.gender = body.string("gender");
    const auto int_or_none = [&](const char* key) -> std::optional<int> {
      if (const auto v = body.integer(key, INT32_MIN, INT32_MAX)) return static_cast<int>(*v);
      return std::nullopt;
    };
    in.level = int_or_none("level");
    in.tones = body.string("tones");
    in.given_len = int_or_none("given-len");
    in.with = body.string("with");
    in.exclude = body.string("exclude");
    in.avoid = body.strings("avoid");
    in.allow_repeat = body.flag("allow-repeat").value_or(false);
    in.allow_namesakes = body.flag("allow-namesakes").value_or(false);
    in.allow_sounds_like = body.flag("allow-sounds-like").value_or(false);
    in.era = body.string("era");
    in.lean = body.number("lean");
    in.max_strokes = int_or_none("max-strokes");
    in.source = body.string("source");
    in.n = int_or_none("n");
    return build_name_request(in, kJsonFields);
  });
}

json api_name(Models& models, Body& body) {
  const RequestFields& f = kJsonFields;
  NameRequest q = name_request_from_json(body);
  const std::string style = body.string("style").value_or("");
  const std::string checkpoint = body.string("checkpoint").value_or("");
  body.no_other_fields();
  naming_call([&] { check_request(models.naming, q, f); });

  ServedModel& m = naming_model(models, checkpoint, style);
  q.style = naming_style(m, style);
  NameSearchStats stats;
  std::vector<NameProposal> names;
  {
    auto lease = m.borrow();
    names = naming_call([&] {
      return propose_names(lease.model(), m.vocab(), KnownNames{&m.checkpoint().train_names, &m.checkpoint().val_names},
                           models.naming, q, &stats, f);
    });
  }
  json list = json::array();
  for (const auto& p : names) list.push_back(to_json(p));
  json out = {{"checkpoint", m.path()},
              {"style", m.vocab().styles()[q.style]},
              {"names", list},
              {"candidates", stats.candidates}};
  if (static_cast<int>(names.size()) < q.n) {
    // What `wuxia name` says on stderr (with exit status 3) when it falls short.
    out["shortfall"] = shortfall_message(q, names.size(), stats, f);
  }
  // As `wuxia name` notes on stderr: the page says so beside the surname.
  const auto unlisted = unlisted_surname_reading(models.naming, q.surname);
  out["surname_known"] = !unlisted;
  if (unlisted) out["surname_reading"] = *unlisted;
  return out;
}

json api_explain(Models& models, Body& body) {
  const std::vector<std::string> names = body.strings("names");
  if (names.empty()) throw RequestError("names", "names must hold one or more names");
  if (names.size() > static_cast<std::size_t>(kMaxRequestNames)) {
    throw RequestError("names", "names holds " + std::to_string(names.size()) + ": at most " +
                                    std::to_string(kMaxRequestNames) + " a request");
  }
  const bool given = body.flag("given").value_or(false);
  const std::string checkpoint = body.string("checkpoint").value_or("");
  const std::string style = body.string("style").value_or("");
  const int samples = static_cast<int>(body.integer("samples", 1, kMaxReferenceSamples).value_or(2000));
  body.no_other_fields();

  std::vector<Explanation> out;
  json skipped = json::array();
  for (const auto& text : names) {
    try {
      const std::u32string name = utf8::decode_or_throw(text, "names: '" + text + "'");
      out.push_back(explain_as_written(models.naming, name, given, "names: '" + text + "'"));
    } catch (const Error& e) {  // one bad name does not hide the others' answers, as in `wuxia explain`
      skipped.push_back({{"name", text}, {"error", e.what()}});
    }
  }
  if (out.empty()) throw RequestError("names", skipped.at(0)["error"].get<std::string>());
  if (!checkpoint.empty()) {
    // The percentile, as `wuxia explain --checkpoint` takes it.
    ServedModel& m = models.choose(checkpoint, style);
    const int s = naming_style(m, style);
    auto lease = m.borrow();
    std::vector<std::u32string> all;
    for (const auto& e : out) all.push_back(e.name);
    const Percentiles p = percentiles(lease.model(), m.vocab(), all, s, samples, 1);
    for (std::size_t i = 0; i < out.size(); ++i) out[i].percentile = p.percentile[i];
  }
  json list = json::array();
  for (const auto& e : out) list.push_back(to_json(e));
  json answer = {{"names", list}};
  if (!skipped.empty()) answer["skipped"] = skipped;
  return answer;
}

}  // namespace wuxia::serve
