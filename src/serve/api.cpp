#include "api.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "wuxia/sampler.hpp"
#include "wuxia/utf8.hpp"

namespace wuxia::serve {

std::string field_of_message(const std::string& message) {
  std::size_t start = 0;
  if (message.rfind("--", 0) == 0) {
    start = 2;
  } else if (message.rfind("-", 0) == 0) {
    start = 1;
  } else {
    return "";
  }
  std::size_t end = start;
  while (end < message.size() && (std::isalnum(static_cast<unsigned char>(message[end])) || message[end] == '-')) ++end;
  return message.substr(start, end - start);
}

Body::Body(const std::string& text) {
  try {
    j_ = json::parse(text);
  } catch (const json::parse_error& e) {
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

// A seed for a request that gives none: fresh, and below 2^53 so that the
// page (JavaScript) can send it back exactly to repeat the answer.
uint64_t fresh_seed() {
  static thread_local std::mt19937_64 gen{std::random_device{}()};
  return gen() >> 11;
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
  SampleOptions o;
  o.n = static_cast<int>(body.integer("n", 0, kMaxRequestNames).value_or(o.n));
  o.temperature = body.number("temperature").value_or(o.temperature);
  o.top_k = static_cast<int>(body.integer("top-k", 0, INT32_MAX).value_or(o.top_k));
  o.top_p = body.number("top-p").value_or(o.top_p);
  o.min_len = static_cast<int>(body.integer("min-len", INT32_MIN, INT32_MAX).value_or(o.min_len));
  o.max_len = static_cast<int>(body.integer("max-len", INT32_MIN, INT32_MAX).value_or(o.max_len));
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
  o.validate(m.vocab());
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
    out["shortfall"] = "only " + std::to_string(names.size()) + " of " + std::to_string(o.n) + " names after " +
                       std::to_string(stats.attempts) + " attempts (" + std::to_string(stats.too_long) + " too long, " +
                       std::to_string(stats.repeats) + " repeats, " + std::to_string(stats.not_novel) + " not novel)";
  }
  return out;
}

}  // namespace wuxia::serve
