#pragma once
// The naming tables together, as `explain`, `name` and `serve` read them.
#include <string>

#include "wuxia/naming/classics.hpp"
#include "wuxia/naming/hanzi.hpp"
#include "wuxia/naming/ill_omened.hpp"
#include "wuxia/naming/namesakes.hpp"
#include "wuxia/naming/readings.hpp"
#include "wuxia/naming/sex_markers.hpp"
#include "wuxia/naming/sounds_like.hpp"
#include "wuxia/naming/surnames.hpp"
#include "wuxia/naming/titles.hpp"
#include "wuxia/naming/young.hpp"

namespace wuxia {

struct NamingData {
  HanziTable hanzi;
  SurnameTable surnames;
  Classics classics;
  IllOmened ill_omened;
  Titles titles;        // titles.tsv: given names that read as a title (load and load_bundled)
  Namesakes namesakes;  // ancient, poets, jinyong, gulong .txt, read on first use (load and load_bundled)
  // For names of our time (today.hpp; load and load_bundled): dated.tsv, the
  // characters that date a name (a character and why, ill_omened.txt's form),
  // and young.tsv, young people's lists' counts.
  IllOmened dated;
  YoungCounts young;
  SexMarkers sex_markers;  // sex_markers.tsv: places and pairs that mark a sex (load and load_bundled)

  SoundsLikeTable sounds_like;  // words a whole name should not sound like (谐音)
  WordReadings word_readings;   // how a given name read as a word is read (readings.hpp)
  NameReadings name_readings;   // how a polyphone is read in a given name

  // hanzi.tsv, surnames.tsv, classics.tsv, ill_omened.txt, sounds_like.tsv, titles.tsv,
  // dated.tsv, young.tsv, sex_markers.tsv and the reading tables (load_readings) from `dir`
  // (default: the bundled data, data_files.hpp), and its name lists as
  // namesakes. Throws wuxia::Error naming the file and line, or an
  // ill-omened or title character the character table lacks.
  static NamingData load(const std::string& dir);
  static NamingData load_files(const std::string& hanzi, const std::string& surnames, const std::string& classics,
                               const std::string& ill_omened, const std::string& sounds_like);
  // Each file where bundled_data_file() finds it.
  static NamingData load_bundled();
  // word_readings.tsv, name_readings.tsv and surname_fixes.tsv (applied over
  // the surname table), their characters checked against the character table.
  // load_files alone leaves them empty: every character is then read by its
  // first reading, each surname as surnames.tsv has it.
  void load_readings(const std::string& word_readings, const std::string& name_readings,
                     const std::string& surname_fixes);
};

}  // namespace wuxia
