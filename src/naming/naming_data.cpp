#include "wuxia/naming_data.hpp"

#include "wuxia/data_files.hpp"
#include "wuxia/error.hpp"
#include "wuxia/utf8.hpp"

namespace wuxia {

NamingData NamingData::load(const std::string& dir) {
  NamingData d;
  d.hanzi = HanziTable::load(dir + "/hanzi.tsv");
  d.surnames = SurnameTable::load(dir + "/surnames.tsv");
  d.classics = Classics::load(dir + "/classics.tsv");
  d.ill_omened = IllOmened::load(dir + "/ill_omened.txt");
  for (const auto& [c, why] : d.ill_omened.all()) {
    if (!d.hanzi.find(c)) throw Error(dir + "/ill_omened.txt: '" + utf8::encode(c) + "' is not in hanzi.tsv");
  }
  return d;
}

NamingData NamingData::load_bundled() {
  // bundled_data_file() finds the folder the way every command does.
  const std::string hanzi = bundled_data_file("hanzi.tsv");
  return load(hanzi.substr(0, hanzi.size() - std::string("/hanzi.tsv").size()));
}

}  // namespace wuxia
