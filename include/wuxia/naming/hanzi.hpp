#pragma once
// The character table the naming commands read (data/hanzi.tsv, made by
// scripts/make_hanzi.py): for each character its Mandarin readings, its level
// in the 通用规范汉字表, strokes, 平仄, how often it is in men's and women's
// given names, and an English gloss. Loaded only by the commands that name.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace wuxia {

inline constexpr char32_t kPing = U'平', kZe = U'仄', kToneUnknown = U'?';

struct HanziInfo {
  char32_t ch = 0;
  std::vector<std::string> readings;  // pinyin with tone marks, most common first; empty when unknown
  int level = 0;                      // 1..3 in the 通用规范汉字表; 0 when not in it
  int strokes = 0;                    // 0 when unknown
  char32_t pingze = kToneUnknown;     // kPing, kZe or kToneUnknown, of the most common reading
  std::vector<char32_t> pingzes;      // the same for each reading, parallel to `readings`
  int64_t male = 0, female = 0;       // given-name counts (data/README.md says whose)
  std::string gloss;                  // "" when none
  std::string reading() const { return readings.empty() ? "-" : readings.front(); }
  // 平仄 of `reading` (长 zhǎng 仄, cháng 平). A reading the table does not
  // list (说 yuè in a name, 能 nài as a surname): tones 3 and 4 are 仄; tones
  // 1 and 2 take the verdict the character's listed tone-1/2 readings share
  // (all from a 平 or all from a 入 reading, as far as the table can tell),
  // else kToneUnknown.
  char32_t pingze_of(std::string_view reading) const;
};

class HanziTable {
 public:
  // Parses the table's text; `path` names the file in errors ("<path>:<line>: ...").
  static HanziTable parse(std::string_view text, const std::string& path);
  static HanziTable load(const std::string& path);

  // nullptr when the table lacks the character.
  const HanziInfo* find(char32_t c) const;
  const std::vector<HanziInfo>& all() const { return chars_; }
  // Totals over the table, for the lean to a sex (sex_lean.hpp): the summed
  // male and female counts, and how many characters have any count.
  int64_t male_total() const { return male_total_; }
  int64_t female_total() const { return female_total_; }
  int64_t counted() const { return counted_; }

 private:
  std::vector<HanziInfo> chars_;  // sorted by code point
  std::unordered_map<char32_t, std::size_t> index_;
  int64_t male_total_ = 0, female_total_ = 0, counted_ = 0;
};

// A pinyin syllable without its tone mark ("zhōng" -> "zhong", "lǘ" -> "lü"):
// what "the same sound" means when a name avoids an elder's.
std::string toneless(std::string_view syllable);
// A pinyin syllable's tone: 1..4 from its mark, 5 for none (the neutral tone).
int tone_of(std::string_view syllable);

}  // namespace wuxia
