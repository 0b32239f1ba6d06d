#pragma once
// The JSON API's requests and answers, apart from HTTP (DESIGN "Serving"):
// request bodies use the command line's flag names without the dashes,
// answers the fields of the commands' --json output.
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "wuxia/infer/scoring.hpp"
#include "wuxia/naming/name_request.hpp"
#include "wuxia/naming/naming_data.hpp"
#include "wuxia/naming/words.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/serve/served_model.hpp"

namespace wuxia::serve {

using nlohmann::json;

// Bad input in a request: HTTP 400, {"error": what(), "field": field}.
class RequestError : public Error {
 public:
  RequestError(const std::string& field, const std::string& what) : Error(what), field_(field) {}
  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

// The field a wuxia::Error from the commands' own validation is about: the
// flag its message starts with ("--top-p must be ..." -> "top-p", "-n must
// ..." -> "n"), or one of `fields` it starts with ("tones 平: ..." ->
// "tones", the naming checks being given the JSON names); "" for none.
std::string field_of_message(const std::string& message, const std::vector<std::string>& fields = {});

// Typed reads of a request's JSON object; every error names the field.
class Body {
 public:
  // `text` must hold one JSON object (RequestError otherwise, field "").
  explicit Body(const std::string& text);
  bool has(const std::string& key) const { return j_.contains(key); }
  // The value of `key` if present, checked for type (and range).
  std::optional<int64_t> integer(const std::string& key, int64_t lo, int64_t hi);
  std::optional<uint64_t> seed(const std::string& key);
  std::optional<double> number(const std::string& key);
  std::optional<std::string> string(const std::string& key);
  std::optional<bool> flag(const std::string& key);
  // Strings: a list of strings, or one string cut at commas (as a repeated
  // flag or NAME,NAME on the command line). Empty when absent.
  std::vector<std::string> strings(const std::string& key);
  // Throws naming the first field no read asked for (a misspelt flag should
  // not be silently ignored, as the command line does not ignore it).
  void no_other_fields() const;
  // The value of `key` as it is (null when absent), marked as read.
  const json* find(const std::string& key);

 private:
  json j_;
  std::vector<std::string> read_;
};

// The checkpoints served, and the naming tables.
class Models {
 public:
  NamingData naming;  // NamingData::load_bundled(), read once
  Words words;        // Words::load_bundled(), read once: the sample list refuses them
  void add(std::unique_ptr<ServedModel> m) { list_.push_back(std::move(m)); }
  const std::vector<std::unique_ptr<ServedModel>>& list() const { return list_; }
  // The model a request asks for: `checkpoint` (a path as served; "" for
  // any) that knows `style` ("" for any). RequestError names the field.
  ServedModel& choose(const std::string& checkpoint, const std::string& style);

 private:
  std::vector<std::unique_ptr<ServedModel>> list_;
};

// Largest n a request may ask for: a page never needs more, and a bound
// keeps one request from holding a worker for minutes.
inline constexpr int64_t kMaxRequestNames = 1000;
// The most samples an explain request's percentile is taken against
// (explain's default is 2000): more would hold a worker for seconds.
inline constexpr int64_t kMaxReferenceSamples = wuxia::kMaxReferenceSamples;
// The most time a sample request spends drawing (then it answers with what
// it has and a shortfall): an odd request (n 1000 at temperature 1e308,
// whose every draw is refused as too long) would take minutes.
inline constexpr double kSampleSeconds = 3.0;

json api_health(const Models& models);
json api_models(const Models& models);
// POST /api/sample: `wuxia sample`'s flags in, the names with their labels out.
json api_sample(Models& models, Body& body);
// A naming request from a JSON body: its fields read (with their types
// checked) and handed to build_name_request, which checks their values as it
// does the command line's flags. Throws RequestError naming the field.
NameRequest name_request_from_json(Body& body);
// POST /api/name: `wuxia name`'s flags in, its --json objects out; with
// surname_known (false: not in data/surnames.tsv) and then surname_reading.
json api_name(Models& models, Body& body);
// POST /api/explain: {"names": [...]} and explain's flags in, its --json
// objects out; names it cannot read are listed under "skipped".
json api_explain(Models& models, Body& body);

}  // namespace wuxia::serve
