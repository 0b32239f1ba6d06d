#pragma once
// The naming tables together, as `explain`, `name` and `serve` read them.
#include <string>

#include "wuxia/classics.hpp"
#include "wuxia/hanzi.hpp"
#include "wuxia/ill_omened.hpp"
#include "wuxia/sounds_like.hpp"
#include "wuxia/surnames.hpp"

namespace wuxia {

struct NamingData {
  HanziTable hanzi;
  SurnameTable surnames;
  Classics classics;
  IllOmened ill_omened;
  SoundsLikeTable sounds_like;  // words a whole name should not sound like (谐音)

  // hanzi.tsv, surnames.tsv, classics.tsv, ill_omened.txt and sounds_like.tsv from `dir`
  // (default: the bundled data, data_files.hpp). Throws wuxia::Error naming
  // the file and line, or an ill-omened character the character table lacks.
  static NamingData load(const std::string& dir);
  static NamingData load_files(const std::string& hanzi, const std::string& surnames, const std::string& classics,
                               const std::string& ill_omened, const std::string& sounds_like);
  // Each file where bundled_data_file() finds it.
  static NamingData load_bundled();
};

}  // namespace wuxia
