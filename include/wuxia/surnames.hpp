#pragma once
// The surname table (data/surnames.tsv): single and compound surnames with
// their readings as surnames (单 shàn, 曾 zēng, 万俟 mò qí), which are often
// not a character's most common reading.
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace wuxia {

class SurnameTable {
 public:
  // `path` names the file in errors ("<path>:<line>: ...").
  static SurnameTable parse(std::string_view text, const std::string& path);
  static SurnameTable load(const std::string& path);

  // How many characters of `name` its surname takes: the longest surname of
  // the table that begins it and leaves at least one character; 0 when none does.
  std::size_t match(std::u32string_view name) const;
  // The surname's reading, one syllable per character; nullptr when not in the table.
  const std::vector<std::string>* reading(std::u32string_view surname) const;
  std::size_t size() const { return readings_.size(); }

 private:
  std::unordered_map<std::u32string, std::vector<std::string>> readings_;
  std::size_t longest_ = 0;
};

}  // namespace wuxia
