#pragma once
// Lines of the bundled classics (data/classics.tsv: 诗经, 楚辞, 论语,
// 唐诗三百首 and 宋词三百首, all simplified): where a name's two given
// characters stand together as a word, or face each other in a couplet, as
// parents who name from poems look for (data/README.md "Which lines a name
// is credited to").
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace wuxia {

struct ClassicLine {
  std::string classic;  // one of classic_names()
  std::string title;
  std::string author;  // "" when unknown
  std::string line;    // as the classic has it, punctuation kept
};

class Classics {
 public:
  // `path` names the file in errors ("<path>:<line>: ...").
  static Classics parse(std::string_view text, const std::string& path);
  static Classics load(const std::string& path);

  // The classics a line may come from, in the table's order.
  static const std::vector<std::string>& classic_names();

  // The lines (from `classic`, or any when empty) that credit the given name
  // `chars`: for two characters, those holding them as a word first, then
  // those where they face each other in a couplet (credit() below); for three
  // or more, those holding them as written within one clause. Each in file
  // order, a line's text once (a refrain is credited once), at most `limit`.
  std::vector<const ClassicLine*> lines_with(std::u32string_view chars, const std::string& classic = "",
                                             std::size_t limit = 5) const;
  // The characters b for which some line (from `classic`, or any when empty)
  // credits the two-character given name c b: what `wuxia name --source`
  // lets follow c, so that each name it proposes has a credited line.
  std::unordered_set<char32_t> partners(char32_t c, const std::string& classic = "") const;

  enum class Credit { None, Word, Facing };
  // Whether the line `index` (file order, 0-based) credits the two-character
  // given name `a b`: as a word (side by side within a clause, not across the
  // pause of a metered line, and a comparison or preposition such as 若 only
  // with its whole object: not 若水 of 若水中之凫), else facing (two
  // neighbouring clauses of equal length, a and b at the same place, either
  // clause first).
  Credit credit(std::size_t index, char32_t a, char32_t b) const;
  const ClassicLine& line(std::size_t index) const { return lines_[index]; }
  std::size_t size() const { return lines_.size(); }

 private:
  std::vector<ClassicLine> lines_;
  std::vector<std::u32string> chars_;                          // each line's characters, decoded
  std::unordered_map<char32_t, std::vector<uint32_t>> where_;  // character -> lines holding it, ascending
};

}  // namespace wuxia
