#include "wuxia/naming_data.hpp"

#include "wuxia/data_files.hpp"
#include "wuxia/error.hpp"
#include "wuxia/file_io.hpp"
#include "wuxia/utf8.hpp"

namespace wuxia {

NamingData NamingData::load(const std::string& dir) {
  NamingData d = load_files(dir + "/hanzi.tsv", dir + "/surnames.tsv", dir + "/classics.tsv", dir + "/ill_omened.txt");
  d.load_readings(dir + "/word_readings.tsv", dir + "/name_readings.tsv", dir + "/surname_fixes.tsv");
  return d;
}

NamingData NamingData::load_files(const std::string& hanzi, const std::string& surnames, const std::string& classics,
                                  const std::string& ill_omened) {
  NamingData d;
  d.hanzi = HanziTable::load(hanzi);
  d.surnames = SurnameTable::load(surnames);
  d.classics = Classics::load(classics);
  d.ill_omened = IllOmened::load(ill_omened);
  for (const auto& [c, why] : d.ill_omened.all()) {
    if (!d.hanzi.find(c)) throw Error(ill_omened + ": '" + utf8::encode(c) + "' is not in " + hanzi);
  }
  return d;
}

NamingData NamingData::load_bundled() {
  NamingData d = load_files(bundled_data_file("hanzi.tsv"), bundled_data_file("surnames.tsv"),
                            bundled_data_file("classics.tsv"), bundled_data_file("ill_omened.txt"));
  d.load_readings(bundled_data_file("word_readings.tsv"), bundled_data_file("name_readings.tsv"),
                  bundled_data_file("surname_fixes.tsv"));
  return d;
}

void NamingData::load_readings(const std::string& words, const std::string& names, const std::string& fixes) {
  word_readings = WordReadings::load(words, &hanzi);
  name_readings = NameReadings::load(names, &hanzi);
  surnames.apply_fixes(read_whole_file(fixes), fixes, &hanzi);
}

}  // namespace wuxia
