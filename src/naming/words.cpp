// data/words.tsv (include/wuxia/naming/words.hpp).
#include "wuxia/naming/words.hpp"

#include "tsv.hpp"
#include "wuxia/data/data_files.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/naming/surnames.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/file_io.hpp"

namespace wuxia {

Words Words::parse(std::string_view text, const std::string& path) {
  using naming::fail_at;
  Words w;
  naming::for_each_record(text, path, 3, [&](const std::vector<std::string_view>& f, std::size_t line) {
    const std::u32string word = *utf8::decode(f[0]);  // for_each_record checked the UTF-8
    const std::string what = "word '" + std::string(f[0]) + "'";
    if (word.size() < 2 || word.size() > 4) fail_at(path, line, what + ": 2 to 4 characters");
    for (char32_t c : word) {
      if (!naming::is_ideograph(c)) fail_at(path, line, what + ": '" + utf8::encode(c) + "' is not a CJK character");
    }
    if (f[1].find_first_not_of("0123456789") != std::string_view::npos) {
      fail_at(path, line, what + ": frequency '" + std::string(f[1]) + "' is not a count");
    }
    if (!w.words_.insert(word).second) fail_at(path, line, what + " is listed twice");
  });
  if (w.words_.empty()) throw Error(path + ": no words");
  return w;
}

Words Words::load(const std::string& path) { return parse(read_whole_file(path), path); }

Words Words::load_bundled() {
  Words w = load(bundled_data_file("words.tsv"));
  for (auto& s : SurnameTable::load(bundled_data_file("surnames.tsv")).surnames()) w.words_.insert(std::move(s));
  return w;
}

}  // namespace wuxia
