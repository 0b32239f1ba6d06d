#include "wuxia/naming_data.hpp"

#include "wuxia/data_files.hpp"
#include "wuxia/error.hpp"
#include "wuxia/file_io.hpp"
#include "wuxia/utf8.hpp"

namespace wuxia {

namespace {
void load_titles(NamingData& d, const std::string& titles, const std::string& hanzi) {
  d.titles = Titles::load(titles);
  for (char32_t c : d.titles.chars()) {
    if (!d.hanzi.find(c)) throw Error(titles + ": '" + utf8::encode(c) + "' is not in " + hanzi);
  }
}
// dated.tsv and young.tsv, from the same folder as hanzi.tsv.
void load_today(NamingData& d, const std::string& dated, const std::string& young, const std::string& hanzi) {
  d.dated = IllOmened::load(dated);
  for (const auto& [c, why] : d.dated.all()) {
    if (!d.hanzi.find(c)) throw Error(dated + ": '" + utf8::encode(c) + "' is not in " + hanzi);
  }
  d.young = YoungCounts::load(young);
}
}  // namespace

NamingData NamingData::load(const std::string& dir) {
  NamingData d = load_files(dir + "/hanzi.tsv", dir + "/surnames.tsv", dir + "/classics.tsv", dir + "/ill_omened.txt",
                            dir + "/sounds_like.tsv");
  load_titles(d, dir + "/titles.tsv", dir + "/hanzi.tsv");
  load_today(d, dir + "/dated.tsv", dir + "/young.tsv", dir + "/hanzi.tsv");
  d.sex_markers = SexMarkers::load(dir + "/sex_markers.tsv");
  d.namesakes = Namesakes::in_dir(dir);
  d.load_readings(dir + "/word_readings.tsv", dir + "/name_readings.tsv", dir + "/surname_fixes.tsv");
  return d;
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
  NamingData d =
      load_files(bundled_data_file("hanzi.tsv"), bundled_data_file("surnames.tsv"), bundled_data_file("classics.tsv"),
                 bundled_data_file("ill_omened.txt"), bundled_data_file("sounds_like.tsv"));
  load_titles(d, bundled_data_file("titles.tsv"), bundled_data_file("hanzi.tsv"));
  load_today(d, bundled_data_file("dated.tsv"), bundled_data_file("young.tsv"), bundled_data_file("hanzi.tsv"));
  d.sex_markers = SexMarkers::load(bundled_data_file("sex_markers.tsv"));
  d.namesakes = Namesakes::in_dir(bundled_data_dir());
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
