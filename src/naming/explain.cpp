// One name explained (include/wuxia/naming/explain.hpp).
#include "wuxia/naming/explain.hpp"

#include <algorithm>

#include <iterator>

#include "wuxia/data/convert.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/naming/readings.hpp"
#include "wuxia/naming/sex_lean.hpp"
#include "wuxia/platform/error.hpp"

namespace wuxia {

void check_known_chars(const HanziTable& hanzi, std::u32string_view name, const std::string& field) {
  if (name.empty()) throw Error(field + ": empty name");
  for (char32_t c : name) {
    if (!hanzi.find(c)) {
      throw Error(field + ": character '" + utf8::encode(c) + "' is not in hanzi.tsv (the 8,105 通用规范汉字 and " +
                  "the characters of the bundled name lists)");
    }
  }
}

std::u32string as_simplified(const HanziTable& hanzi, std::u32string_view name) {
  const auto known = [&](std::u32string_view n) {
    return std::all_of(n.begin(), n.end(), [&](char32_t c) { return hanzi.find(c) != nullptr; });
  };
  if (known(name)) return std::u32string(name);
  try {
    static const ScriptConverter t2s("t2s");  // OpenCC's dictionaries, opened once and only when needed
    std::u32string simple = t2s(std::u32string(name));
    if (simple.size() == name.size() && known(simple)) return simple;
  } catch (const Error&) {
    // No OpenCC here: the unknown character is named as before.
  }
  return std::u32string(name);
}

Explanation explain_as_written(const NamingData& d, std::u32string_view name, bool whole_is_given,
                               const std::string& field) {
  const std::u32string simple = as_simplified(d.hanzi, name);
  check_known_chars(d.hanzi, simple, field);
  Explanation e = explain_name(d, simple, whole_is_given);
  if (simple != name) e.written = name;
  return e;
}

Explanation explain_name(const NamingData& d, std::u32string_view name, bool whole_is_given) {
  check_known_chars(d.hanzi, name, utf8::encode(name));
  const std::size_t s = whole_is_given ? 0 : d.surnames.match(name);
  return explain_parts(d, name.substr(0, s), name.substr(s));
}

Explanation explain_parts(const NamingData& d, std::u32string_view surname, std::u32string_view given) {
  Explanation e;
  e.surname = surname;
  e.given = given;
  e.name = e.surname + e.given;
  check_known_chars(d.hanzi, e.name, utf8::encode(e.name));
  const std::size_t s = surname.size();
  std::vector<std::vector<std::string>> ways = read_name(d, e.surname, e.given);
  e.pinyin = std::move(ways.front());
  e.pingze = pingze_of_reading(d, e.name, e.pinyin);
  e.also_read.assign(std::make_move_iterator(ways.begin() + 1), std::make_move_iterator(ways.end()));
  for (std::size_t i = 0; i < e.name.size(); ++i) {
    const HanziInfo& c = *d.hanzi.find(e.name[i]);
    if (i >= s) e.gloss.push_back(c.gloss);
    e.strokes.push_back(c.strokes);
    e.levels.push_back(c.level);
  }
  const SexLean lean = sex_lean(d.hanzi, e.given, &d.sex_markers);
  e.p_female = lean.p_female();
  e.sex_unknown = lean.unknown;
  e.sounds_like = d.sounds_like.match(e.pinyin, e.name, s);
  if (e.given.size() >= 2) {
    for (const ClassicLine* l : d.classics.lines_with(e.given, "", kMaxSources)) {
      e.sources.push_back({l->classic, l->title, l->author, l->line});
    }
  }
  if (const std::string* why = d.titles.reason(e.given)) e.title = *why;
  e.namesake = d.namesakes.lists_of(e.name);
  return e;
}

nlohmann::json to_json(const Explanation& e) {
  using nlohmann::json;
  json j;
  j["name"] = utf8::encode(e.name);
  j["surname"] = utf8::encode(e.surname);
  j["given"] = utf8::encode(e.given);
  j["written"] = e.written.empty() ? nlohmann::json(nullptr) : nlohmann::json(utf8::encode(e.written));
  j["pinyin"] = e.pinyin;
  j["pingze"] = utf8::encode(e.pingze);
  j["readings"] = e.also_read.empty() ? json::array() : json(e.also_read);
  j["strokes"] = e.strokes;
  j["levels"] = e.levels;
  j["gender"] = json{{"female", e.p_female ? json(*e.p_female) : json(nullptr)}};
  j["gloss"] = e.gloss;
  if (e.percentile) j["percentile"] = *e.percentile;
  json sources = json::array();
  for (const auto& s : e.sources) {
    sources.push_back(
        {{"title", s.title}, {"author", s.author.empty() ? json(nullptr) : json(s.author)}, {"line", s.line}});
  }
  j["sources"] = std::move(sources);
  j["title"] = e.title ? json(*e.title) : json(nullptr);
  j["namesake"] = e.namesake;
  json sounds = json::array();
  for (const auto& m : e.sounds_like) {
    sounds.push_back({{"word", utf8::encode(m.word)},
                      {"pinyin", m.pinyin},
                      {"why", m.why},
                      {"tones", m.tones},
                      {"written", m.written}});
  }
  j["sounds_like"] = std::move(sounds);
  return j;
}

}  // namespace wuxia
