#pragma once
// Lines of the bundled classics (data/classics.tsv: 诗经, 楚辞, 论语,
// 唐诗三百首 and 宋词三百首, all simplified): where a name's two given
// characters stand together, as parents who name from poems look for.
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

  // Lines holding every character of `chars` (from `classic`, or any when
  // empty): those holding them side by side first, then the others, each in
  // file order; at most `limit` of them.
  std::vector<const ClassicLine*> lines_with(std::u32string_view chars, const std::string& classic = "",
                                             std::size_t limit = 5) const;
  // The characters sharing a line with `c` (from `classic`, or any when empty).
  std::unordered_set<char32_t> partners(char32_t c, const std::string& classic = "") const;
  std::size_t size() const { return lines_.size(); }

 private:
  std::vector<ClassicLine> lines_;
  std::vector<std::u32string> chars_;                          // each line's characters, decoded
  std::unordered_map<char32_t, std::vector<uint32_t>> where_;  // character -> lines holding it, ascending
};

}  // namespace wuxia
