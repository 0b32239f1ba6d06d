#include "wuxia/naming/naming_data.hpp"

#include "wuxia/data/data_files.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/file_io.hpp"

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

// Every table, each file where `file(name)` finds it, and the name lists of
// `lists_dir` as namesakes: the one sequence load and load_bundled share.
template <class File>
NamingData load_all(File file, const std::string& lists_dir) {
  NamingData d = NamingData::load_files(file("hanzi.tsv"), file("surnames.tsv"), file("classics.tsv"),
                                        file("ill_omened.txt"), file("sounds_like.tsv"));
  load_titles(d, file("titles.tsv"), file("hanzi.tsv"));
  load_today(d, file("dated.tsv"), file("young.tsv"), file("hanzi.tsv"));
  d.sex_markers = SexMarkers::load(file("sex_markers.tsv"));
  d.namesakes = Namesakes::in_dir(lists_dir);
  d.load_readings(file("word_readings.tsv"), file("name_readings.tsv"), file("surname_fixes.tsv"));
  return d;
}
}  // namespace

NamingData NamingData::load(const std::string& dir) {
  return load_all([&](const char* name) { return dir + "/" + name; }, dir);
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
  return load_all([](const char* name) { return bundled_data_file(name); }, bundled_data_dir());
}

void NamingData::load_readings(const std::string& words, const std::string& names, const std::string& fixes) {
  word_readings = WordReadings::load(words, &hanzi);
  name_readings = NameReadings::load(names, &hanzi);
  surnames.apply_fixes(read_whole_file(fixes), fixes, &hanzi);
}

}  // namespace wuxia
