#pragma once
// Titles, roles and kin words that read as a title, not a given name
// (data/titles.tsv, the project's own list): 诸葛先生 is "Mr Zhuge", 单明帝
// "Emperor Ming of Shan", 单氏女 "the Shan family's daughter". The base model
// learnt them from its historical names (253k people, many known by a title:
// 庞居士, 蔡国公, 杨贵妃), so `wuxia name` keeps them out inside its search and
// `wuxia explain` says why a given name is one.
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace wuxia {

class Titles {
 public:
  // Rows "pattern<TAB>reason"; a pattern is two characters (和尚), one
  // character and a `*` standing for any one (`*帝`: 武帝, 明帝; `氏*`: 氏女),
  // or one character, which a one-character given name alone is checked
  // against (帝: 张帝). `path` names the file in errors ("<path>:<line>: ...").
  static Titles parse(std::string_view text, const std::string& path);
  static Titles load(const std::string& path);

  // Why `given` reads as a title, or nullptr: a one-character given name
  // against the one-character entries, a longer one's last two characters
  // against the two-character words and patterns (a title follows the name
  // it honours: 三丰真人, 灭绝师太).
  const std::string* reason(std::u32string_view given) const;
  const std::string* single(char32_t c) const;
  const std::string* pair(char32_t a, char32_t b) const;

  // For the search, which checks each pair in O(1): the patterns `*b` and
  // `a*` by their character, and the words by their first character.
  const std::unordered_map<char32_t, std::string>& any_then() const { return any_then_; }  // *b
  const std::unordered_map<char32_t, std::string>& then_any() const { return then_any_; }  // a*
  // The second characters of the words that begin with `a` (nullptr: none).
  const std::vector<std::pair<char32_t, std::string>>* words_after(char32_t a) const;

  // Every character the entries use (to check them against hanzi.tsv).
  std::u32string chars() const;
  std::size_t size() const { return size_; }

 private:
  std::unordered_map<char32_t, std::string> single_, any_then_, then_any_;
  std::unordered_map<char32_t, std::vector<std::pair<char32_t, std::string>>> words_;
  std::size_t size_ = 0;
};

}  // namespace wuxia
