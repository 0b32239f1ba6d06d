// data/classics.tsv (include/wuxia/naming/classics.hpp).
#include "wuxia/naming/classics.hpp"

#include <algorithm>

#include "tsv.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/file_io.hpp"

namespace wuxia {

const std::vector<std::string>& Classics::classic_names() {
  static const std::vector<std::string> names{"诗经", "楚辞", "论语", "唐诗三百首", "宋词三百首"};
  return names;
}

Classics Classics::parse(std::string_view text, const std::string& path) {
  Classics c;
  const auto& known = classic_names();
  naming::for_each_record(text, path, 4, [&](const std::vector<std::string_view>& f, std::size_t line) {
    if (std::find(known.begin(), known.end(), f[0]) == known.end()) {
      naming::fail_at(path, line,
                      "classic '" + std::string(f[0]) + "' is not one of 诗经 楚辞 论语 唐诗三百首 宋词三百首");
    }
    ClassicLine l{std::string(f[0]), std::string(f[1]), f[2] == "-" ? "" : std::string(f[2]), std::string(f[3])};
    std::u32string cps = *utf8::decode(l.line);  // for_each_record checked the line's UTF-8
    const auto id = static_cast<uint32_t>(c.lines_.size());
    std::u32string seen;
    for (char32_t ch : cps) {
      if (seen.find(ch) != std::u32string::npos) continue;
      seen.push_back(ch);
      c.where_[ch].push_back(id);
    }
    c.chars_.push_back(std::move(cps));
    c.lines_.push_back(std::move(l));
  });
  return c;
}

Classics Classics::load(const std::string& path) { return parse(read_whole_file(path), path); }

namespace {

// The rule by which a line credits a name (data/README.md "Which lines a
// name is credited to"). Two characters side by side are not always a word:
// 卜居's 将泛泛若水中之凫 holds 若水, but reads 将 / 泛泛 / 若 / 水中之凫
// ("like a duck on the water"), and 明月松间照 holds 月松 across 明月 / 松间.
// Without a word list the rule keeps what the text itself shows:
// - a clause (a run of characters between punctuation) holds both;
// - a metered line pauses after its second character, and after its fourth
//   in a line of six or seven (青青 / 子衿, 明月 / 松间照, 烟花三月 / 下扬州):
//   a pair across a pause is two words' ends (青子, 月松);
// - a comparison or preposition (若 如 似 ...) governs the whole phrase after
//   it, so 若水 is "like water" only where 水 ends that phrase: at the clause's
//   end (上善若水, 有女如玉) or before a particle or another such word (如切如磋,
//   如月之恒), not before more of the phrase (若水中之凫, 如松柏之茂).
// This rejects some true words (a line of prose has no meter to show its
// pauses) and keeps a few false ones; a name left without a line is the
// cheaper mistake.
bool is_clause_char(char32_t c) {
  return (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0x20000 && c <= 0x3FFFF) || c == U'々';
}

std::vector<std::u32string_view> clauses_of(const std::u32string& line) {
  std::vector<std::u32string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && !is_clause_char(line[i])) ++i;
    const std::size_t start = i;
    while (i < line.size() && is_clause_char(line[i])) ++i;
    if (i > start) out.emplace_back(line.data() + start, i - start);
  }
  return out;
}

// A pause after `after` characters of a clause of `len` in `classic`: the
// 诗经's four-character lines (2 + 2; its longer lines follow no one
// pattern: 如 / 松柏之茂, 俟我 / 于城隅), and the regulated lines of the
// 唐诗 and the 宋词 (4 and 5: after 2; 6 and 7: after 2 and 4).
bool pause_after(const std::string& classic, std::size_t len, std::size_t after) {
  if (classic == "诗经") return len == 4 && after == 2;
  if (classic != "唐诗三百首" && classic != "宋词三百首") return false;
  if (len < 4 || len > 7) return false;
  return after == 2 || (len >= 6 && after == 4);
}

constexpr std::u32string_view kGoverning = U"若如似犹于於在自从向以为与";
constexpr std::u32string_view kParticles = U"兮也矣乎哉焉耳欤者之而且则其";

bool governs(char32_t c) { return kGoverning.find(c) != std::u32string_view::npos; }
bool ends_phrase_before(char32_t c) { return governs(c) || kParticles.find(c) != std::u32string_view::npos; }

// Calls fn(a, b, facing) for each two-character given name the line credits.
template <class Fn>
void for_each_credited(const std::u32string& chars, const std::string& classic, Fn&& fn) {
  const auto clauses = clauses_of(chars);
  for (std::size_t k = 0; k < clauses.size(); ++k) {
    const std::u32string_view c = clauses[k];
    for (std::size_t i = 0; i + 1 < c.size(); ++i) {
      if (pause_after(classic, c.size(), i + 1)) continue;
      if (governs(c[i]) && i + 2 < c.size() && !ends_phrase_before(c[i + 2])) continue;
      fn(c[i], c[i + 1], false);
    }
    if (k + 1 < clauses.size() && clauses[k + 1].size() == c.size() && c.size() >= 2) {
      const std::u32string_view d = clauses[k + 1];
      for (std::size_t i = 0; i < c.size(); ++i) {
        fn(c[i], d[i], true);
        fn(d[i], c[i], true);
      }
    }
  }
}

}  // namespace

Classics::Credit Classics::credit(std::size_t index, char32_t a, char32_t b) const {
  Credit best = Credit::None;
  for_each_credited(chars_.at(index), lines_.at(index).classic, [&](char32_t x, char32_t y, bool facing) {
    if (x != a || y != b) return;
    if (!facing) best = Credit::Word;
    if (facing && best == Credit::None) best = Credit::Facing;
  });
  return best;
}

std::vector<const ClassicLine*> Classics::lines_with(std::u32string_view chars, const std::string& classic,
                                                     std::size_t limit) const {
  std::vector<const ClassicLine*> out;
  if (chars.size() < 2) return out;
  const auto first = where_.find(chars[0]);
  if (first == where_.end()) return out;
  std::vector<const ClassicLine*> word, facing;
  for (uint32_t id : first->second) {
    if (!classic.empty() && lines_[id].classic != classic) continue;
    if (chars.size() == 2) {
      const Credit c = credit(id, chars[0], chars[1]);
      if (c == Credit::Word) word.push_back(&lines_[id]);
      if (c == Credit::Facing) facing.push_back(&lines_[id]);
    } else {
      for (const auto& clause : clauses_of(chars_[id])) {
        if (clause.find(chars) != std::u32string_view::npos) {
          word.push_back(&lines_[id]);
          break;
        }
      }
    }
  }
  // A refrain (汉广's 汉之广矣，不可泳思。 three times) is one source.
  std::unordered_set<std::string_view> seen;
  for (const auto* list : {&word, &facing}) {
    for (const ClassicLine* l : *list) {
      if (out.size() >= limit) return out;
      if (seen.insert(l->line).second) out.push_back(l);
    }
  }
  return out;
}

std::unordered_set<char32_t> Classics::partners(char32_t c, const std::string& classic) const {
  std::unordered_set<char32_t> out;
  const auto it = where_.find(c);
  if (it == where_.end()) return out;
  for (uint32_t id : it->second) {
    if (!classic.empty() && lines_[id].classic != classic) continue;
    for_each_credited(chars_[id], lines_[id].classic, [&](char32_t a, char32_t b, bool) {
      if (a == c) out.insert(b);
    });
  }
  return out;
}

}  // namespace wuxia
