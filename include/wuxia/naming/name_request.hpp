#pragma once
// A parent's request to `wuxia name` (and to `wuxia serve`'s naming form):
// the values, and the checks that turn a bad value into an error naming its
// field. Each check takes plain values and the field's name ("--tones" on the
// command line, "tones" in a JSON request), so every front end reports alike.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "wuxia/naming/naming_data.hpp"

namespace wuxia {

enum class Sex { Any, Girl, Boy };
// Which names a list is drawn from: today's (the default; today.hpp) or
// history's (the model alone, as it learnt them from historical people).
enum class Era { Today, History };

// Level 2 by default: the 6,500 characters of the table's first two levels
// are those every input method, ID card system and school reader handles,
// and they hold the name characters level 1 lacks (docs/NAMING.md).
inline constexpr int kDefaultLevel = 2;
// A shortlist, not a corpus: the search keeps about 10 candidates per name
// asked, so n bounds its memory (rows x vocabulary logits).
inline constexpr int kMaxNames = 200;
// With girl or boy, a name must read as that sex with at least this chance
// (sex_lean.hpp): 0.5 let names through that a parent reads as the other sex.
inline constexpr double kDefaultMinLean = 0.7;

struct NameRequest {
  std::u32string surname;
  Sex sex = Sex::Any;
  int level = kDefaultLevel;          // 1..3: that level or commoner
  std::u32string tones;               // the whole name's 平/仄/? (surname included); empty = any
  int given_len = 2;                  // 1 or 2
  char32_t with = 0;                  // a generational character (字辈); 0 = none
  int with_pos = 0;                   // its place in the given name, 1 or 2; 0 = either
  std::u32string exclude;             // characters never used
  std::vector<std::u32string> avoid;  // names whose syllables the given name may not echo
  bool allow_repeat = false;          // 叠字 (the same character twice), and a given syllable echoing the surname's
  bool allow_sounds_like = false;     // names that sound like a word of data/sounds_like.tsv (they carry the warning)
  int max_strokes = 0;                // each given character at most this many strokes; 0 = any
  std::string source;                 // "" = none, "any", or a classic: one of its lines credits the given name
  bool allow_namesakes = false;       // propose a person's name of the bundled lists (namesakes.hpp) too
  Era era = Era::Today;
  double min_lean = kDefaultMinLean;  // with girl or boy: P(that sex) at least this, in [0.5, 1)
  int n = 20;
  int style = 0;  // the model's style index
};

// The field names a front end reports; the defaults are the command line's.
struct RequestFields {
  std::string surname = "--surname", gender = "--gender", level = "--level", tones = "--tones",
              given_len = "--given-len", with = "--with", exclude = "--exclude", avoid = "--avoid", source = "--source",
              n = "-n", max_strokes = "--max-strokes", era = "--era", min_lean = "--lean";
};
// The JSON API's: the flags' names without their dashes.
RequestFields json_request_fields();

// A request as a front end receives it, each value as given (absent when not
// given). The command line's flags (cli/naming_cmds.cpp) and the JSON API's
// body (serve/api.cpp) each fill one; build_name_request checks it, so that
// both refuse the same values with the same words, naming their own fields.
struct NameRequestInput {
  std::optional<std::string> surname, gender, tones, with, exclude, source, era;
  std::vector<std::string> avoid;  // one name an entry
  std::optional<int> level, given_len, max_strokes, n;
  std::optional<double> lean;
  bool allow_repeat = false, allow_sounds_like = false, allow_namesakes = false;
};

// The parses and checks that need no tables, in one order for every front
// end; throws wuxia::Error "<field> <value>: why". check_request (below) does
// those that need them. style is left to the caller (it needs the model).
NameRequest build_name_request(const NameRequestInput& in, const RequestFields& fields);

struct NameSearchStats;  // name_search.hpp
// What a list shorter than asked says: how many were passed over and why,
// and which fields to loosen (both front ends say it alike).
std::string shortfall_message(const NameRequest& q, std::size_t found, const NameSearchStats& stats,
                              const RequestFields& fields);

// Each parses or checks one value and throws wuxia::Error "<field> <value>: why".
Sex parse_sex(const std::string& value, const std::string& field);  // girl, boy or any
std::string sex_name(Sex s);                                        // "girl", "boy", "any"
Era parse_era(const std::string& value, const std::string& field);  // today or history
std::string era_name(Era e);                                        // "today", "history"
int check_level(int level, const std::string& field);               // 1..3
int check_given_len(int len, const std::string& field);             // 1 or 2
int check_count(int n, const std::string& field);                   // 1..kMaxNames
int check_max_strokes(int strokes, const std::string& field);       // 0 (any) or 1..64
double check_min_lean(double p, const std::string& field);          // 0.5 <= p < 1
// 平, 仄 and ? (or p, z and ?), normalised to 平仄?.
std::u32string parse_tones(const std::string& value, const std::string& field);
// CHAR or CHAR@POS, POS 1 or 2.
void parse_with(const std::string& value, const std::string& field, char32_t& ch, int& pos);
// "any" or a classic's name (诗经, 楚辞, 论语, 唐诗三百首, 宋词三百首).
std::string parse_source(const std::string& value, const std::string& field);
std::u32string parse_chars(const std::string& value, const std::string& field);  // UTF-8
// One or two characters (张, 欧阳), spaces around them (ASCII or 　) trimmed:
// "<field> is required" when none is left, "<field> ...: ... characters" when
// more (a search fed a 10,000-character surname ran for seconds).
inline constexpr std::size_t kMaxSurnameChars = 2;
std::u32string parse_surname(const std::string& value, const std::string& field);

// The syllables of `names`, tones aside, as explain reads them (a surname
// with its reading as a surname: 单 is shàn): what --avoid keeps out.
std::vector<std::string> avoided_syllables(const NamingData& data, const std::vector<std::u32string>& names);

// For a surname not in data/surnames.tsv (好 is a character, nobody's
// surname), how it is read (each character's own reading: "hǎo"), which
// both front ends tell the user; nullopt for a listed surname.
std::optional<std::string> unlisted_surname_reading(const NamingData& data, const std::u32string& surname);

// The checks that need the tables: the surname's characters are known; the
// tones pattern is as long as the name and agrees with the surname; the
// --with character is known, at most the level asked, not ill-omened,
// excluded, the surname's, echoing --avoid or against --tones; --avoid's
// characters are known (their readings are what is avoided).
void check_request(const NamingData& data, const NameRequest& q, const RequestFields& fields = {});

}  // namespace wuxia
