#pragma once
// The surname table (data/surnames.tsv): single and compound surnames with
// their readings as surnames (单 shàn, 曾 zēng, 万俟 mò qí), which are often
// not a character's most common reading.
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace wuxia {

class HanziTable;

class SurnameTable {
 public:
  // `path` names the file in errors ("<path>:<line>: ...").
  static SurnameTable parse(std::string_view text, const std::string& path);
  static SurnameTable load(const std::string& path);
  // Applies data/surname_fixes.tsv (surname<TAB>pinyin<TAB>reason; `path`
  // names it in errors): a surname of the table takes the fix's reading, which
  // must differ from the table's (任 rén, not rèn); another is added (区 ōu).
  // With `hanzi`, a character it lacks is an error. Returns how many rows were applied.
  std::size_t apply_fixes(std::string_view text, const std::string& path, const HanziTable* hanzi = nullptr);

  // How many characters of `name` its surname takes: the longest surname of
  // the table that begins it and leaves at least one character; 0 when none does.
  std::size_t match(std::u32string_view name) const;
  // The surname's reading, one syllable per character; nullptr when not in the table.
  const std::vector<std::string>* reading(std::u32string_view surname) const;
  std::size_t size() const { return readings_.size(); }
  // Every surname of the table, in no particular order.
  std::vector<std::u32string> surnames() const;

 private:
  std::unordered_map<std::u32string, std::vector<std::string>> readings_;
  std::size_t longest_ = 0;
};

}  // namespace wuxia
