#pragma once
// What a whole name sounds like (谐音, issue 27): the words a family would not
// want a name to sound like (data/sounds_like.tsv, the project's own list:
// 肚子疼 for 杜子腾, 阳痿 for 杨伟, 神经病 for 沈京兵), and the matcher that
// finds them in a name's syllables, surname included.
//
// The matcher takes the syllables as given (one per character, as `explain`
// reads them: a surname's reading as a surname first), so that it does not
// care how a polyphone's reading was chosen.
//
// The rule. A word of k syllables matches a run of k consecutive characters
// of the name whose syllables equal the word's, tones aside, when
//   - k >= 3: always (杜子腾 dù zǐ téng, 沈京兵 shěn jīng bīng: three
//     syllables in a row are heard whatever their tones);
//   - k == 2: every syllable of the given name in the run has the word's
//     tone, and at least one toned syllable of the word agrees. The surname's
//     tone may differ (沈晶 shěn jīng for 神经 shén jīng, 郝色 hǎo sè for 好色
//     hào sè): a listener knows the surname and hears its syllable. A given
//     name's tone is chosen and makes another word (吴丽 wú lì is not 无理 wú
//     lǐ, 慧琪 huì qí not 晦气 huì qì): two common syllables meet in many
//     names, and the tones are what tell them apart.
// A word's neutral tone (zi of 肚子) agrees with any tone, and a name read
// with one (a character whose only reading is neutral) agrees with any too.
// A run of the name's characters that writes the word matches too, whatever
// the readings (单人凤 holds 单人 though the surname 单 reads shàn). Runs
// lie within the name and may span surname and given name, but a run wholly
// inside the surname is the family's own and is not reported.
// scripts/sounds_like_check.py measures it through `wuxia explain`: 30 of 30
// classic traps warned, 7 of 3,930 ordinary names (杨伟 and 胡丽: the issue's
// own complaints); data/README.md has the figures and the other rules tried.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "wuxia/naming/hanzi.hpp"

namespace wuxia {

// Words have 2..4 characters: one syllable alone is data/ill_omened.txt's
// business, and no name the helper makes is longer than four.
inline constexpr std::size_t kSoundsLikeMinLen = 2, kSoundsLikeMaxLen = 4;

struct SoundsLikeWord {
  std::u32string chars;
  std::string pinyin;                 // as the table writes it: "dù zi téng"
  std::string why;                    // "theme: meaning"
  std::vector<std::uint32_t> sounds;  // each syllable without its tone, as an id of the table's syllables
  std::vector<int> tones;             // 1..4, 5 for the neutral tone
};

// One match in a name, for `explain` and the proposals' warnings.
struct SoundsLikeMatch {
  std::u32string word;
  std::string pinyin, why;
  std::size_t start = 0;  // the run's first character in the name
  bool tones = false;     // every syllable agrees in tone too (a neutral tone agrees with any)
  bool written = false;   // the run's characters are the word's
};

// One character of a name as the matcher reads it: see SoundsLikeTable::syllable.
struct SoundsLikeSyllable {
  std::uint32_t sound = 0;  // the toneless syllable's id; 0 when no word has it
  int tone = 5;
  char32_t ch = 0;  // 0: unknown (no written match)
};

class SoundsLikeTable {
 public:
  // `path` names the file in errors ("<path>:<line>: ..."): a row that is
  // not word<TAB>pinyin<TAB>why, a word of other than 2..4 characters or with
  // a character `hanzi` lacks, a syllable count other than the character
  // count, a syllable that is no reading of its character (tones aside), a
  // word listed twice.
  static SoundsLikeTable parse(std::string_view text, const std::string& path, const HanziTable& hanzi);
  static SoundsLikeTable load(const std::string& path, const HanziTable& hanzi);

  // A name's character read as `pinyin` (with its tone mark): computed once
  // per character, so that the search's check is a few hash look-ups.
  SoundsLikeSyllable syllable(std::string_view pinyin, char32_t ch = 0) const;

  // Every word some run of the name sounds like or writes, each once, in
  // the order of the runs' starts. `syllables` has one syllable per
  // character; `chars` (may be empty: no written matches) the name's
  // characters; the first `surname` characters are the surname's: a run
  // must reach past them, and their tones may differ (the rule above).
  std::vector<SoundsLikeMatch> match(const std::vector<std::string>& syllables, std::u32string_view chars = {},
                                     std::size_t surname = 0) const;
  // The word the run s[0..n) sounds like or writes under the rule above, or
  // nullptr: what the search asks of each candidate. The run's first
  // `surname` syllables are the surname's.
  const SoundsLikeWord* run_matches(const SoundsLikeSyllable* s, std::size_t n, std::size_t surname = 0) const;

  // Marks in `sounds` (indexed by sound id, sound_count() long) the last
  // syllables, and appends to `chars` the last characters, of the words whose
  // first n syllables (by sound) or characters are the run s[0..n): the search
  // sets them once for a first character, and checks in full only the second
  // characters they hold (most rows hold none of the vocabulary).
  void completions(const SoundsLikeSyllable* s, std::size_t n, std::vector<char>& sounds,
                   std::vector<char32_t>& chars) const;
  std::size_t sound_count() const { return sound_ids_.size() + 1; }

  std::size_t size() const { return words_.size(); }
  const std::vector<SoundsLikeWord>& all() const { return words_; }

 private:
  // The words whose syllables are the run's, tones aside; nullptr when none.
  const std::vector<std::uint32_t>* bucket(const SoundsLikeSyllable* s, std::size_t n) const;
  // Whether a run with the word's syllables counts as it (the rule above).
  static bool heard(const SoundsLikeWord& w, const SoundsLikeSyllable* s, std::size_t surname, bool* tones);
  const SoundsLikeWord* by_chars(const SoundsLikeSyllable* s, std::size_t n) const;
  static bool agrees(const SoundsLikeWord& w, const SoundsLikeSyllable* s);

  std::vector<SoundsLikeWord> words_;
  std::unordered_map<std::string, std::uint32_t> sound_ids_;                  // toneless syllable -> 1..
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> by_sound_;    // packed sounds -> words
  std::unordered_map<std::u32string, std::uint32_t> by_chars_;                // characters -> word
  std::unordered_set<char32_t> last_chars_;                                   // of the words: skips most look-ups
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> next_sound_;  // packed prefix -> last sounds
  std::unordered_map<std::u32string, std::vector<char32_t>> next_char_;       // prefix -> last characters
};

// The rule for a run whose syllables equal a word's, tones aside, the first
// `surname` of them the surname's: whether it counts as the word, and (in
// `all_agree`) whether every tone agrees.
bool sounds_alike(const std::vector<int>& word_tones, const int* name_tones, std::size_t surname,
                  bool* all_agree = nullptr);

}  // namespace wuxia
