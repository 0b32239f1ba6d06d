#pragma once
// Common words that are not names (data/words.tsv, made by
// scripts/make_words.py from jieba's dictionary): a name the model invents
// that is one (海岛, 东西, 乔木) is a word, not a name, and `wuxia sample`
// and the page's wuxia list refuse it (SampleOptions::words) unless it is a
// name of the training lists (丘处机 and 双儿 are in jieba's dictionary too);
// so is a bare surname (load_bundled).
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>

namespace wuxia {

class Words {
 public:
  // Rows "word<TAB>frequency<TAB>tag", a word of 2 to 4 CJK characters, each
  // once. `path` names the file in errors ("<path>:<line>: ...").
  static Words parse(std::string_view text, const std::string& path);
  static Words load(const std::string& path);
  // data/words.tsv where bundled_data_file() finds it, and every surname of
  // data/surnames.tsv: a surname alone (慕容, 欧阳) is not a name either.
  static Words load_bundled();

  bool contains(const std::u32string& s) const { return words_.count(s) > 0; }
  const std::unordered_set<std::u32string>& set() const { return words_; }
  std::size_t size() const { return words_.size(); }

 private:
  std::unordered_set<std::u32string> words_;
};

}  // namespace wuxia
