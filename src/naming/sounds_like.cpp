// data/sounds_like.tsv and the matcher (include/wuxia/naming/sounds_like.hpp).
#include "wuxia/naming/sounds_like.hpp"

#include <algorithm>

#include "tsv.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/file_io.hpp"

namespace wuxia {

namespace {

// Up to four 16-bit ids in one key; ids start at 1, so keys of different
// lengths never meet.
std::uint64_t pack(const std::uint32_t* ids, std::size_t n) {
  std::uint64_t key = 0;
  for (std::size_t i = 0; i < n; ++i) key = (key << 16) | ids[i];
  return key;
}

// Lowercase pinyin: letters, ü and at most one tone-marked vowel.
bool is_pinyin_syllable(std::string_view s) {
  static const std::u32string marked = U"āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ";
  const auto cps = utf8::decode(s);
  if (!cps || cps->empty()) return false;
  int marks = 0;
  for (char32_t c : *cps) {
    if (marked.find(c) != std::u32string::npos) {
      ++marks;
    } else if (!((c >= U'a' && c <= U'z') || c == U'ü')) {
      return false;
    }
  }
  return marks <= 1;
}

std::vector<std::string> split_spaces(std::string_view s) {
  std::vector<std::string> out;
  for (;;) {
    const auto sp = s.find(' ');
    out.emplace_back(s.substr(0, sp));
    if (sp == std::string_view::npos) return out;
    s.remove_prefix(sp + 1);
  }
}

}  // namespace

bool sounds_alike(const std::vector<int>& word_tones, const int* name_tones, std::size_t surname, bool* all_agree) {
  bool all = true, given = true, one = false;
  for (std::size_t i = 0; i < word_tones.size(); ++i) {
    const int w = word_tones[i], n = name_tones[i];
    const bool agree = w == 5 || n == 5 || w == n;
    all = all && agree;
    if (i >= surname) given = given && agree;
    one = one || (w != 5 && w == n);
  }
  if (all_agree) *all_agree = all;
  return word_tones.size() >= 3 || (given && one);
}

SoundsLikeTable SoundsLikeTable::parse(std::string_view text, const std::string& path, const HanziTable& hanzi) {
  using naming::fail_at;
  SoundsLikeTable t;
  naming::for_each_record(text, path, 3, [&](const std::vector<std::string_view>& f, std::size_t line) {
    const std::string word_text(f[0]);
    SoundsLikeWord w;
    w.chars = *utf8::decode(f[0]);  // for_each_record checked the line's UTF-8
    w.pinyin = std::string(f[1]);
    w.why = std::string(f[2]);
    if (w.chars.size() < kSoundsLikeMinLen || w.chars.size() > kSoundsLikeMaxLen) {
      fail_at(path, line,
              "word '" + word_text + "' has " + std::to_string(w.chars.size()) + " character(s), expected " +
                  std::to_string(kSoundsLikeMinLen) + ".." + std::to_string(kSoundsLikeMaxLen) +
                  " (single characters belong in ill_omened.txt)");
    }
    const std::vector<std::string> syllables = split_spaces(f[1]);
    for (const auto& s : syllables) {
      if (s.empty()) fail_at(path, line, "pinyin '" + w.pinyin + "' has an empty syllable (one space between two)");
    }
    if (syllables.size() != w.chars.size()) {
      fail_at(path, line,
              "word '" + word_text + "' has " + std::to_string(w.chars.size()) + " character(s) but " +
                  std::to_string(syllables.size()) + " syllable(s) in '" + w.pinyin + "'");
    }
    bool toned = false;
    for (std::size_t i = 0; i < syllables.size(); ++i) {
      const std::string& s = syllables[i];
      const std::string c = utf8::encode(w.chars[i]);
      if (!is_pinyin_syllable(s)) {
        fail_at(path, line, "syllable '" + s + "' of '" + word_text + "' is not lowercase pinyin with tone marks");
      }
      const HanziInfo* h = hanzi.find(w.chars[i]);
      if (!h) fail_at(path, line, "'" + c + "' of '" + word_text + "' is not in hanzi.tsv");
      const std::string bare = toneless(s);
      std::string readings;
      bool known = false;
      for (const auto& r : h->readings) {
        known = known || toneless(r) == bare;
        readings += (readings.empty() ? "" : ", ") + r;
      }
      if (!known) {
        fail_at(path, line,
                "'" + c + "' of '" + word_text + "' is read '" + s + "', which is none of its readings in hanzi.tsv (" +
                    (readings.empty() ? std::string("none") : readings) + ") tones aside");
      }
      const int tone = tone_of(s);
      toned = toned || tone != 5;
      w.tones.push_back(tone);
      const auto id = t.sound_ids_.emplace(bare, static_cast<std::uint32_t>(t.sound_ids_.size() + 1)).first->second;
      w.sounds.push_back(id);
    }
    if (!toned) fail_at(path, line, "'" + w.pinyin + "' has no toned syllable");
    const auto colon = w.why.find(": ");
    if (colon == 0 || colon == std::string::npos || colon + 2 == w.why.size()) {
      fail_at(path, line, "why '" + w.why + "' is not 'theme: meaning'");
    }
    const auto index = static_cast<std::uint32_t>(t.words_.size());
    if (!t.by_chars_.emplace(w.chars, index).second) fail_at(path, line, "word '" + word_text + "' is listed twice");
    t.by_sound_[pack(w.sounds.data(), w.sounds.size())].push_back(index);
    t.last_chars_.insert(w.chars.back());
    for (std::size_t n = 1; n < w.chars.size(); ++n) {
      t.next_sound_[pack(w.sounds.data(), n)].push_back(w.sounds[n]);
      t.next_char_[w.chars.substr(0, n)].push_back(w.chars[n]);
    }
    t.words_.push_back(std::move(w));
  });
  if (t.words_.empty()) throw Error(path + ": no words");
  if (t.sound_ids_.size() >= 0xFFFF) throw Error(path + ": more than 65,534 distinct syllables");
  return t;
}

SoundsLikeTable SoundsLikeTable::load(const std::string& path, const HanziTable& hanzi) {
  return parse(read_whole_file(path), path, hanzi);
}

SoundsLikeSyllable SoundsLikeTable::syllable(std::string_view pinyin, char32_t ch) const {
  SoundsLikeSyllable s;
  const auto it = sound_ids_.find(toneless(pinyin));
  s.sound = it == sound_ids_.end() ? 0 : it->second;
  s.tone = tone_of(pinyin);
  s.ch = ch;
  return s;
}

const std::vector<std::uint32_t>* SoundsLikeTable::bucket(const SoundsLikeSyllable* s, std::size_t n) const {
  std::uint32_t ids[kSoundsLikeMaxLen];
  for (std::size_t i = 0; i < n; ++i) {
    if (s[i].sound == 0) return nullptr;
    ids[i] = s[i].sound;
  }
  const auto it = by_sound_.find(pack(ids, n));
  return it == by_sound_.end() ? nullptr : &it->second;
}

bool SoundsLikeTable::heard(const SoundsLikeWord& w, const SoundsLikeSyllable* s, std::size_t surname, bool* tones) {
  int name_tones[kSoundsLikeMaxLen];
  for (std::size_t i = 0; i < w.tones.size(); ++i) name_tones[i] = s[i].tone;
  return sounds_alike(w.tones, name_tones, surname, tones);
}

// Whether the run has the word's syllables with every tone agreeing (a word
// written in the name may be read otherwise: 单 of 单人凤 is shàn).
bool SoundsLikeTable::agrees(const SoundsLikeWord& w, const SoundsLikeSyllable* s) {
  for (std::size_t i = 0; i < w.sounds.size(); ++i) {
    if (s[i].sound != w.sounds[i]) return false;
  }
  bool all = false;
  heard(w, s, 0, &all);
  return all;
}

const SoundsLikeWord* SoundsLikeTable::by_chars(const SoundsLikeSyllable* s, std::size_t n) const {
  if (!s[n - 1].ch || !last_chars_.count(s[n - 1].ch)) return nullptr;
  std::u32string chars;
  for (std::size_t i = 0; i < n; ++i) chars.push_back(s[i].ch);
  const auto it = by_chars_.find(chars);
  return it == by_chars_.end() ? nullptr : &words_[it->second];
}

void SoundsLikeTable::completions(const SoundsLikeSyllable* s, std::size_t n, std::vector<char>& sounds,
                                  std::vector<char32_t>& chars) const {
  if (n == 0 || n >= kSoundsLikeMaxLen) return;
  std::uint32_t ids[kSoundsLikeMaxLen];
  std::u32string written;
  bool heard = true;
  for (std::size_t i = 0; i < n; ++i) {
    heard = heard && s[i].sound != 0;
    ids[i] = s[i].sound;
    written.push_back(s[i].ch);
  }
  if (heard) {
    if (const auto it = next_sound_.find(pack(ids, n)); it != next_sound_.end()) {
      for (std::uint32_t id : it->second) sounds[id] = 1;
    }
  }
  if (const auto it = next_char_.find(written); it != next_char_.end()) {
    chars.insert(chars.end(), it->second.begin(), it->second.end());
  }
}

const SoundsLikeWord* SoundsLikeTable::run_matches(const SoundsLikeSyllable* s, std::size_t n,
                                                   std::size_t surname) const {
  if (n < kSoundsLikeMinLen || n > kSoundsLikeMaxLen) return nullptr;
  if (const auto* words = bucket(s, n)) {
    for (std::uint32_t i : *words) {
      if (heard(words_[i], s, surname, nullptr)) return &words_[i];
    }
  }
  return by_chars(s, n);
}

std::vector<SoundsLikeMatch> SoundsLikeTable::match(const std::vector<std::string>& syllables,
                                                    std::u32string_view chars, std::size_t surname) const {
  if (!chars.empty() && chars.size() != syllables.size()) {
    throw Error("sounds-like match: " + std::to_string(chars.size()) + " character(s) but " +
                std::to_string(syllables.size()) + " syllable(s)");
  }
  std::vector<SoundsLikeSyllable> s;
  for (std::size_t i = 0; i < syllables.size(); ++i) s.push_back(syllable(syllables[i], chars.empty() ? 0 : chars[i]));
  std::vector<SoundsLikeMatch> out;
  std::unordered_map<const SoundsLikeWord*, std::size_t> seen;  // word -> its place in out
  // A word met again in a later run (a long name) keeps its first place.
  auto add = [&](const SoundsLikeWord& w, std::size_t start, bool tones, bool written) {
    const auto [it, fresh] = seen.emplace(&w, out.size());
    if (!fresh) {
      out[it->second].tones = out[it->second].tones || tones;
      out[it->second].written = out[it->second].written || written;
      return;
    }
    out.push_back({w.chars, w.pinyin, w.why, start, tones, written});
  };
  for (std::size_t start = 0; start < s.size(); ++start) {
    for (std::size_t n = kSoundsLikeMaxLen; n >= kSoundsLikeMinLen; --n) {
      if (start + n > s.size() || start + n <= surname) continue;
      const SoundsLikeWord* written = by_chars(&s[start], n);
      if (const auto* words = bucket(&s[start], n)) {
        for (std::uint32_t i : *words) {
          bool tones = false;
          if (heard(words_[i], &s[start], surname > start ? surname - start : 0, &tones)) {
            add(words_[i], start, tones, &words_[i] == written);
          }
        }
      }
      if (written) add(*written, start, agrees(*written, &s[start]), true);
    }
  }
  return out;
}

}  // namespace wuxia
