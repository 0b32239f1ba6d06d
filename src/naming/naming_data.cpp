#include "wuxia/naming_data.hpp"

#include "wuxia/data_files.hpp"
#include "wuxia/error.hpp"
#include "wuxia/utf8.hpp"

namespace wuxia {

NamingData NamingData::load(const std::string& dir) {
  return load_files(dir + "/hanzi.tsv", dir + "/surnames.tsv", dir + "/classics.tsv", dir + "/ill_omened.txt",
                    dir + "/sounds_like.tsv");
}

NamingData NamingData::load_files(const std::string& hanzi, const std::string& surnames, const std::string& classics,
                                  const std::string& ill_omened, const std::string& sounds_like) {
  NamingData d;
  d.hanzi = HanziTable::load(hanzi);
  d.surnames = SurnameTable::load(surnames);
  d.classics = Classics::load(classics);
  d.ill_omened = IllOmened::load(ill_omened);
  for (const auto& [c, why] : d.ill_omened.all()) {
    if (!d.hanzi.find(c)) throw Error(ill_omened + ": '" + utf8::encode(c) + "' is not in " + hanzi);
  }
  d.sounds_like = SoundsLikeTable::load(sounds_like, d.hanzi);
  return d;
}

NamingData NamingData::load_bundled() {
  return load_files(bundled_data_file("hanzi.tsv"), bundled_data_file("surnames.tsv"),
                    bundled_data_file("classics.tsv"), bundled_data_file("ill_omened.txt"),
                    bundled_data_file("sounds_like.tsv"));
}

}  // namespace wuxia
