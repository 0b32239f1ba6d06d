// One name explained (include/wuxia/explain.hpp).
#include "wuxia/explain.hpp"

#include "wuxia/error.hpp"
#include "wuxia/sex_lean.hpp"
#include "wuxia/utf8.hpp"

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

namespace {
// 平仄 of a surname read otherwise than its character's most common reading
// (单 shàn, not dān): tones 3 and 4 are always 仄; tones 1 and 2 keep the
// table's verdict when the common reading is in tone 1 or 2 as well (both
// then come from the same 平 or 入 reading as far as the table can tell),
// else nothing is known.
char32_t surname_pingze(const HanziInfo& c, const std::string& reading) {
  if (c.readings.empty() || reading == c.readings.front()) return c.pingze;
  const int t = tone_of(reading);
  if (t == 3 || t == 4) return kZe;
  const int common = tone_of(c.readings.front());
  if ((t == 1 || t == 2) && (common == 1 || common == 2)) return c.pingze;
  return kToneUnknown;
}
}  // namespace

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
  // A surname the table lacks is read as its characters' commonest readings.
  const std::vector<std::string>* surname_reading = s ? d.surnames.reading(e.surname) : nullptr;
  for (std::size_t i = 0; i < e.name.size(); ++i) {
    const HanziInfo& c = *d.hanzi.find(e.name[i]);
    if (i < s && surname_reading) {
      e.pinyin.push_back((*surname_reading)[i]);
      e.pingze.push_back(surname_pingze(c, (*surname_reading)[i]));
    } else {
      e.pinyin.push_back(c.reading());
      e.pingze.push_back(c.pingze);
    }
    if (i >= s) e.gloss.push_back(c.gloss);
    e.strokes.push_back(c.strokes);
    e.levels.push_back(c.level);
  }
  const SexLean lean = sex_lean(d.hanzi, e.given);
  e.p_female = lean.p_female();
  e.sex_unknown = lean.unknown;
  e.sounds_like = d.sounds_like.match(e.pinyin, e.name, s);
  if (e.given.size() >= 2) {
    for (const ClassicLine* l : d.classics.lines_with(e.given, "", kMaxSources)) {
      e.sources.push_back({l->classic, l->title, l->author, l->line});
    }
  }
  return e;
}

nlohmann::json to_json(const Explanation& e) {
  using nlohmann::json;
  json j;
  j["name"] = utf8::encode(e.name);
  j["surname"] = utf8::encode(e.surname);
  j["given"] = utf8::encode(e.given);
  j["pinyin"] = e.pinyin;
  j["pingze"] = utf8::encode(e.pingze);
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
