#pragma once
// What a name is made of, for a person choosing it (`wuxia explain`, `wuxia
// name --json`, `wuxia serve`): its surname and given name, each character's
// reading, 平仄, strokes and level, the lean to a sex, the glosses, and lines of
// the classics that hold its given characters.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "wuxia/naming/naming_data.hpp"

namespace wuxia {

struct NameSource {
  std::string classic, title, author, line;  // author "" when unknown
};

struct Explanation {
  std::u32string name, surname, given;
  // The name as it was written when that was in traditional characters
  // (陳淑芬), read as its simplified form (name); empty otherwise.
  std::u32string written;
  std::vector<std::string> pinyin;   // one syllable per character, as the name is read (readings.hpp)
  std::u32string pingze;             // 平, 仄 or ? per character, of that reading
  std::vector<int> strokes;          // per character, 0 when unknown
  std::vector<int> levels;           // per character, 0..3
  std::optional<double> p_female;    // sex_lean.hpp; nullopt when no given character has counts
  std::u32string sex_unknown;        // given characters without counts
  std::vector<std::string> gloss;    // per given character, "" when none
  std::optional<double> percentile;  // 0..100 among the model's own samples, when a model was given
  std::vector<NameSource> sources;   // lines crediting the given name (two or more characters; classics.hpp)
  // Why the given name reads as a title (data/titles.tsv); nullopt: it does not.
  std::optional<std::string> title;
  // The bundled lists holding the whole name (namesakes.hpp): ancient, poets, jinyong, gulong.
  std::vector<std::string> namesake;
  // The other readings of a name that reads two ways (张乐: zhāng yuè), each
  // like pinyin; empty when it reads one way.
  std::vector<std::vector<std::string>> also_read;
  std::vector<SoundsLikeMatch> sounds_like;  // words the whole name sounds like (sounds_like.hpp); empty when none
};

inline constexpr std::size_t kMaxSources = 5;  // per name: a few lines say where a pair comes from

// Throws wuxia::Error "<field>: character 'c' is not in hanzi.tsv" for the
// first character of `name` the table lacks. `field` names the flag, JSON
// field or file line the name came from.
void check_known_chars(const HanziTable& hanzi, std::u32string_view name, const std::string& field);

// `name` in simplified characters where it holds a character the table
// lacks and OpenCC's t2s maps every such character to one it has (陳淑芬 ->
// 陈淑芬, 承憲 -> 承宪): the tables and counts are of simplified characters,
// and a name from Taiwan or Hong Kong should read as what it is. Otherwise
// `name` unchanged (a name OpenCC cannot help keeps its unknown character,
// which check_known_chars then names).
std::u32string as_simplified(const HanziTable& hanzi, std::u32string_view name);

// explain_name of as_simplified(name), with `written` set when it differs,
// after check_known_chars(field).
Explanation explain_as_written(const NamingData& data, std::u32string_view name, bool whole_is_given,
                               const std::string& field);

// Explains `name` (check_known_chars first). The surname is the longest of
// the surname table that begins the name; `whole_is_given` reads all of it as
// a given name. A name without a known surname is read as all given name.
Explanation explain_name(const NamingData& data, std::u32string_view name, bool whole_is_given = false);
// The same for a name whose parts are known (a surname the table may lack).
Explanation explain_parts(const NamingData& data, std::u32string_view surname, std::u32string_view given);

// The fields of `wuxia explain --json` (docs/NAMING.md): name,
// surname, given, pinyin, pingze, readings (also_read: a list of syllable
// lists, empty when the name reads one way), strokes, levels, gender
// {"female": p or null}, gloss, percentile (only when set), sources [{title,
// author, line}], title ("why" or null), namesake (the lists holding the
// name; [] for none), written (the name as written, traditional, or null),
// sounds_like [{word, pinyin, why, tones, written}] (empty when none).
nlohmann::json to_json(const Explanation& e);

}  // namespace wuxia
