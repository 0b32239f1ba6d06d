// Checks of a naming request (include/wuxia/naming/name_request.hpp).
#include "wuxia/naming/name_request.hpp"

#include <sstream>

#include <algorithm>

#include "wuxia/data/utf8.hpp"
#include "wuxia/naming/explain.hpp"
#include "wuxia/naming/name_search.hpp"
#include "wuxia/naming/readings.hpp"
#include "wuxia/platform/error.hpp"

namespace wuxia {

Sex parse_sex(const std::string& v, const std::string& field) {
  if (v == "girl") return Sex::Girl;
  if (v == "boy") return Sex::Boy;
  if (v == "any") return Sex::Any;
  throw Error(field + " " + v + ": expected girl, boy or any");
}

std::string sex_name(Sex s) { return s == Sex::Girl ? "girl" : s == Sex::Boy ? "boy" : "any"; }

double check_min_lean(double p, const std::string& field) {
  if (!(p >= 0.5 && p < 1)) {
    std::ostringstream v;
    v << p;  // as given: 1.5, not 1.500000
    throw Error(field + " " + v.str() + ": expected a chance from 0.5 (any lean) to below 1, e.g. 0.7");
  }
  return p;
}

Era parse_era(const std::string& value, const std::string& field) {
  if (value == "today") return Era::Today;
  if (value == "history") return Era::History;
  throw Error(field + " " + value +
              ": expected today (names of our time) or history (the model's own, as it learnt "
              "them from historical people)");
}

std::string era_name(Era e) { return e == Era::Today ? "today" : "history"; }

int check_level(int level, const std::string& field) {
  if (level < 1 || level > 3) {
    throw Error(field + " " + std::to_string(level) +
                ": expected 1 (the 3,500 commonest characters), 2 (6,500) or 3 (all 8,105 of the 通用规范汉字表)");
  }
  return level;
}

int check_given_len(int len, const std::string& field) {
  if (len != 1 && len != 2) throw Error(field + " " + std::to_string(len) + ": expected 1 or 2 characters");
  return len;
}

int check_count(int n, const std::string& field) {
  if (n < 1 || n > kMaxNames) {
    throw Error(field + " " + std::to_string(n) + ": expected 1.." + std::to_string(kMaxNames) +
                " (a shortlist; narrow the request or change a filter for others)");
  }
  return n;
}

int check_max_strokes(int strokes, const std::string& field) {
  if (strokes < 0 || strokes > 64) {
    throw Error(field + " " + std::to_string(strokes) + ": expected 0 (any) or a stroke count up to 64");
  }
  return strokes;
}

std::u32string parse_tones(const std::string& value, const std::string& field) {
  std::u32string out;
  for (char32_t c : utf8::decode_or_throw(value, field)) {
    if (c == U'平' || c == U'p' || c == U'P') {
      out.push_back(kPing);
    } else if (c == U'仄' || c == U'z' || c == U'Z') {
      out.push_back(kZe);
    } else if (c == U'?' || c == U'？') {
      out.push_back(kToneUnknown);
    } else {
      throw Error(field + " " + value + ": '" + utf8::encode(c) +
                  "' is not 平, 仄 or ? (p, z and ? also do), one per character of the whole name");
    }
  }
  if (out.empty()) throw Error(field + ": empty pattern");
  return out;
}

void parse_with(const std::string& value, const std::string& field, char32_t& ch, int& pos) {
  const std::u32string v = utf8::decode_or_throw(value, field);
  const auto at = v.find(U'@');
  const std::u32string c = v.substr(0, at);
  if (c.size() != 1) throw Error(field + " " + value + ": expected one character, then @1 or @2 if its place is fixed");
  ch = c[0];
  pos = 0;
  if (at != std::u32string::npos) {
    const std::u32string p = v.substr(at + 1);
    if (p != U"1" && p != U"2") throw Error(field + " " + value + ": the place after @ is 1 or 2 (of the given name)");
    pos = p == U"1" ? 1 : 2;
  }
}

std::string parse_source(const std::string& value, const std::string& field) {
  if (value == "any") return value;
  const auto& names = Classics::classic_names();
  if (std::find(names.begin(), names.end(), value) != names.end()) return value;
  std::string known;
  for (const auto& n : names) known += " " + n;
  throw Error(field + " " + value + ": expected any or one of" + known);
}

std::u32string parse_chars(const std::string& value, const std::string& field) {
  return utf8::decode_or_throw(value, field);
}

namespace {

// The surname as an error shows it: a long one by its length alone, so that
// a hostile value does not come back whole in the message.
std::string shown_surname(const std::u32string& s) {
  return s.size() <= 8 ? utf8::encode(s) : "of " + std::to_string(s.size()) + " characters";
}

void check_surname_length(const std::u32string& s, const std::string& field) {
  if (s.empty()) throw Error(field + " is required: one or two characters (张, 欧阳)");
  if (s.size() > kMaxSurnameChars) {
    throw Error(field + " " + shown_surname(s) + ": a surname is one or two characters (张, 欧阳), not " +
                std::to_string(s.size()) + ": give the surname alone (the given names are what is proposed)");
  }
}

bool is_space(char32_t c) { return c == U' ' || c == U'\t' || c == U'\n' || c == U'\r' || c == U'\u3000'; }

}  // namespace

std::u32string parse_surname(const std::string& value, const std::string& field) {
  std::u32string s = utf8::decode_or_throw(value, field);
  std::size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  if (b == e && !value.empty()) throw Error(field + " is blank: give one or two characters (张, 欧阳)");
  s = s.substr(b, e - b);
  check_surname_length(s, field);
  return s;
}

std::vector<std::string> avoided_syllables(const NamingData& d, const std::vector<std::u32string>& names) {
  std::vector<std::string> out;
  for (const auto& name : names) {
    for (const auto& syllable : explain_name(d, name).pinyin) out.push_back(toneless(syllable));
  }
  return out;
}

std::optional<std::string> unlisted_surname_reading(const NamingData& d, const std::u32string& surname) {
  if (d.surnames.reading(surname)) return std::nullopt;
  std::string reading;
  for (const auto& s : explain_parts(d, surname, U"").pinyin) reading += (reading.empty() ? "" : " ") + s;
  return reading;
}

RequestFields json_request_fields() {
  RequestFields f;
  for (std::string* field : {&f.surname, &f.gender, &f.level, &f.tones, &f.given_len, &f.with, &f.exclude, &f.avoid,
                             &f.source, &f.n, &f.max_strokes, &f.era, &f.min_lean}) {
    field->erase(0, field->find_first_not_of('-'));
  }
  return f;
}

NameRequest build_name_request(const NameRequestInput& in, const RequestFields& f) {
  NameRequest q;
  if (!in.surname) throw Error(f.surname + " is required: one or two characters (张, 欧阳)");
  q.surname = parse_surname(*in.surname, f.surname);
  if (in.gender) q.sex = parse_sex(*in.gender, f.gender);
  if (in.level) q.level = check_level(*in.level, f.level);
  if (in.tones && !in.tones->empty()) q.tones = parse_tones(*in.tones, f.tones);
  if (in.given_len) q.given_len = check_given_len(*in.given_len, f.given_len);
  if (in.with && !in.with->empty()) parse_with(*in.with, f.with, q.with, q.with_pos);
  if (in.exclude) q.exclude = parse_chars(*in.exclude, f.exclude);
  for (const auto& a : in.avoid) q.avoid.push_back(parse_chars(a, f.avoid));
  q.allow_repeat = in.allow_repeat;
  q.allow_namesakes = in.allow_namesakes;
  q.allow_sounds_like = in.allow_sounds_like;
  if (in.max_strokes) q.max_strokes = check_max_strokes(*in.max_strokes, f.max_strokes);
  if (in.source && !in.source->empty()) {
    q.source = parse_source(*in.source, f.source);
    if (q.given_len != 2) {
      throw Error(f.source + " needs " + f.given_len + " 2 (a pair of characters a line credits)");
    }
  }
  if (in.era && !in.era->empty()) q.era = parse_era(*in.era, f.era);
  if (in.lean) q.min_lean = check_min_lean(*in.lean, f.min_lean);
  if (in.n) q.n = check_count(*in.n, f.n);
  return q;
}

std::string shortfall_message(const NameRequest& q, std::size_t found, const NameSearchStats& s,
                              const RequestFields& f) {
  return "only " + std::to_string(found) + " of " + std::to_string(q.n) + " names pass the filters (" +
         std::to_string(s.candidates) + " scored, " + std::to_string(s.known) +
         " of the model's training names passed over, " + std::to_string(s.titles) + " titles, " +
         std::to_string(s.namesakes) + " namesakes, " + std::to_string(s.sounds_like) +
         " sounding like a word of data/sounds_like.tsv, " + std::to_string(s.other_sex) + " not reading as a " +
         sex_name(q.sex) + "); loosen " + f.level + ", " + f.tones + ", " + f.source + " or " + f.gender;
}

void check_request(const NamingData& d, const NameRequest& q, const RequestFields& f) {
  check_surname_length(q.surname, f.surname);
  check_known_chars(d.hanzi, q.surname, f.surname + " " + utf8::encode(q.surname));
  check_level(q.level, f.level);
  check_given_len(q.given_len, f.given_len);
  check_count(q.n, f.n);
  check_max_strokes(q.max_strokes, f.max_strokes);
  check_min_lean(q.min_lean, f.min_lean);
  const Explanation surname = explain_parts(d, q.surname, U"");
  if (!q.tones.empty()) {
    const std::size_t want = q.surname.size() + static_cast<std::size_t>(q.given_len);
    if (q.tones.size() != want) {
      throw Error(f.tones + " " + utf8::encode(q.tones) + ": " + std::to_string(q.tones.size()) +
                  " place(s), but the name has " + std::to_string(want) + " characters (surname " +
                  utf8::encode(q.surname) + " and " + std::to_string(q.given_len) + " given)");
    }
    for (std::size_t i = 0; i < q.surname.size(); ++i) {
      if (q.tones[i] != kToneUnknown && q.tones[i] != surname.pingze[i]) {
        throw Error(f.tones + " " + utf8::encode(q.tones) + ": place " + std::to_string(i + 1) + " is " +
                    utf8::encode(q.tones[i]) + " but the surname's " + utf8::encode(q.surname[i]) + " (" +
                    surname.pinyin[i] + ") is " + utf8::encode(surname.pingze[i]) + "; write ? there");
      }
    }
  }
  for (const auto& name : q.avoid) check_known_chars(d.hanzi, name, f.avoid + " " + utf8::encode(name));
  const std::vector<std::string> avoided = avoided_syllables(d, q.avoid);
  if (q.with) {
    const std::string w = f.with + " " + utf8::encode(q.with);
    const HanziInfo* c = d.hanzi.find(q.with);
    if (!c) throw Error(w + ": not in hanzi.tsv");
    if (q.with_pos > q.given_len) throw Error(w + ": place " + std::to_string(q.with_pos) + " past the given name");
    if (c->level == 0 || c->level > q.level) {
      throw Error(w + ": level " + std::to_string(c->level) + " (0 = not in the 通用规范汉字表), above " + f.level +
                  " " + std::to_string(q.level));
    }
    if (const std::string* why = d.ill_omened.reason(q.with))
      throw Error(w + ": on the ill-omened list (" + *why + ")");
    if (q.exclude.find(q.with) != std::u32string::npos) throw Error(w + ": also in " + f.exclude);
    if (const std::string* why = q.given_len == 1 ? d.titles.single(q.with) : nullptr)
      throw Error(w + ": a title as a one-character given name (" + *why + ")");
    if (q.max_strokes > 0 && c->strokes > q.max_strokes) {
      throw Error(w + ": " + std::to_string(c->strokes) + " strokes, more than " + f.max_strokes + " " +
                  std::to_string(q.max_strokes));
    }
    if (q.surname.find(q.with) != std::u32string::npos) throw Error(w + ": the surname's own character");
    const std::string reading = given_reading(d, *c);  // as the search reads it
    if (!q.allow_repeat) {
      for (const auto& s : surname.pinyin) {
        if (toneless(s) == toneless(reading)) {
          throw Error(w + ": echoes the surname's syllable " + toneless(s) + " (allow it with --allow-repeat)");
        }
      }
    }
    if (std::find(avoided.begin(), avoided.end(), toneless(reading)) != avoided.end()) {
      throw Error(w + ": sounds like a syllable of " + f.avoid + " (" + toneless(reading) + ")");
    }
    // The surname and the --with character begin every name then: if they
    // already sound like a word, no name is left to propose.
    if (!q.allow_sounds_like && (q.given_len == 1 || q.with_pos == 1)) {
      const Explanation e = explain_parts(d, q.surname, std::u32string(1, q.with));
      if (!e.sounds_like.empty()) {
        const SoundsLikeMatch& m = e.sounds_like.front();
        throw Error(w + ": " + utf8::encode(e.name) + " sounds like " + utf8::encode(m.word) + " (" + m.pinyin + ": " +
                    m.why + "); allow it with --allow-sounds-like");
      }
    }
    if (!q.tones.empty() && q.with_pos > 0) {
      const char32_t t = q.tones[q.surname.size() + q.with_pos - 1];
      const char32_t pz = name_pingze(d, *c);  // read as in a given name, as the search's masks read it
      if (t != kToneUnknown && t != pz) {
        throw Error(w + ": is " + utf8::encode(pz) + ", but " + f.tones + " wants " + utf8::encode(t) +
                    " at that place (read " + reading + " in a given name)");
      }
    }
  }
}

}  // namespace wuxia
