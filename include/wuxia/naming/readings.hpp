#pragma once
// How a name is read (issue 27). A character's first reading in hanzi.tsv is
// its commonest in the language, not in names: 长 is zhǎng there but cháng in
// 林长卿, 曾 céng but zēng in 张绍曾. A name is read as a person says it:
//   - the surname by the surname table (surnames.tsv with surname_fixes.tsv
//     applied: 任 rén, 盖 gě, 区 ōu); a surname the table lacks by its
//     characters' first readings;
//   - a two-character given name that is a word of data/word_readings.tsv
//     (pypinyin's phrase readings) by the word's reading (重阳 chóng yáng);
//   - else each given character by data/name_readings.tsv (the project's list
//     of polyphones in given names: 长 cháng, 省 xǐng), else its first reading.
// 平仄 follows the reading (HanziInfo::pingze_of). Where a given name can
// honestly be read two ways (乐 lè or yuè; a word read otherwise than the name
// list would: 相宜 xiāng yí, not xiàng), every reading is returned, the one
// used first.
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "wuxia/naming/hanzi.hpp"

namespace wuxia {

struct NamingData;

// data/word_readings.tsv: word<TAB>pinyin, a word read two ways listing both
// separated by ',' (朝阳 zhāo yáng, cháo yáng).
class WordReadings {
 public:
  // `path` names the file in errors ("<path>:<line>: ..."); with `hanzi`, a
  // character it lacks is one.
  static WordReadings parse(std::string_view text, const std::string& path, const HanziTable* hanzi = nullptr);
  static WordReadings load(const std::string& path, const HanziTable* hanzi = nullptr);
  // The word's readings (each one syllable per character), the commoner
  // first; nullptr when the table lacks the word.
  const std::vector<std::vector<std::string>>* find(std::u32string_view word) const;
  const std::unordered_map<std::u32string, std::vector<std::vector<std::string>>>& all() const { return words_; }
  std::size_t size() const { return words_.size(); }

 private:
  std::unordered_map<std::u32string, std::vector<std::vector<std::string>>> words_;
};

// data/name_readings.tsv: char<TAB>pinyin<TAB>reason, the pinyin one reading
// or two separated by ',' (乐 lè,yuè: the first is used).
class NameReadings {
 public:
  struct Entry {
    std::vector<std::string> readings;  // the one used first
    std::string reason;
  };
  // As WordReadings::parse; a reading without a tone mark is an error (a name has no neutral tone).
  static NameReadings parse(std::string_view text, const std::string& path, const HanziTable* hanzi = nullptr);
  static NameReadings load(const std::string& path, const HanziTable* hanzi = nullptr);
  // nullptr when the list lacks the character.
  const Entry* find(char32_t c) const;
  const std::unordered_map<char32_t, Entry>& all() const { return chars_; }

 private:
  std::unordered_map<char32_t, Entry> chars_;
};

// The reading a character takes in a given name outside a word: its
// name_readings.tsv entry, else its first reading ("-" when it has none).
std::string given_reading(const NamingData& d, const HanziInfo& c);
// Its 平仄. `wuxia name`'s --tones masks and `explain` agree through it.
char32_t name_pingze(const NamingData& d, const HanziInfo& c);

// Every way the name reads, each one syllable per character (surname first),
// the one used first; more than one only where the given name can be read two
// ways. Characters the character table lacks read "-".
std::vector<std::vector<std::string>> read_name(const NamingData& d, std::u32string_view surname,
                                                std::u32string_view given);
// 平仄 of `name` read as `syllables` (one per character): kToneUnknown for a
// character the table lacks.
std::u32string pingze_of_reading(const NamingData& d, std::u32string_view name,
                                 const std::vector<std::string>& syllables);

}  // namespace wuxia
