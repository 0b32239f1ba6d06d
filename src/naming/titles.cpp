// data/titles.tsv (include/wuxia/naming/titles.hpp).
#include "wuxia/naming/titles.hpp"

#include <algorithm>

#include "tsv.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/file_io.hpp"

namespace wuxia {

Titles Titles::parse(std::string_view text, const std::string& path) {
  using naming::fail_at;
  Titles t;
  // Each pattern once, and no word a pattern already matches: the file says
  // every title one way.
  std::unordered_map<std::u32string, std::size_t> at;
  std::vector<std::pair<std::u32string, std::size_t>> words;
  naming::for_each_record(text, path, 2, [&](const std::vector<std::string_view>& f, std::size_t line) {
    const std::u32string p = *utf8::decode(f[0]);  // for_each_record checked the UTF-8
    const std::string what = "pattern '" + std::string(f[0]) + "'";
    const auto stars = std::count(p.begin(), p.end(), U'*');
    if (p.empty() || p.size() > 2) fail_at(path, line, what + ": one or two characters (帝, 和尚, *帝, 氏*)");
    if (stars > 0 && p.size() == 1) fail_at(path, line, what + ": a '*' needs a character beside it (*帝)");
    if (stars > 1) fail_at(path, line, what + ": at most one '*'");
    for (char32_t c : p) {
      if (c != U'*' && !naming::is_ideograph(c))
        fail_at(path, line, what + ": '" + utf8::encode(c) + "' is not a CJK character");
    }
    if (const auto seen = at.find(p); seen != at.end()) {
      fail_at(path, line, what + " is listed twice (first at line " + std::to_string(seen->second) + ")");
    }
    at.emplace(p, line);
    const std::string why(f[1]);
    if (p.size() == 1) {
      t.single_.emplace(p[0], why);
    } else if (p[0] == U'*') {
      t.any_then_.emplace(p[1], why);
    } else if (p[1] == U'*') {
      t.then_any_.emplace(p[0], why);
    } else {
      t.words_[p[0]].emplace_back(p[1], why);
      words.emplace_back(p, line);
    }
    ++t.size_;
  });
  if (t.size_ == 0) throw Error(path + ": no titles");
  for (const auto& [w, line] : words) {
    for (const std::u32string& p : {std::u32string{U'*', w[1]}, std::u32string{w[0], U'*'}}) {
      if (at.count(p)) {
        fail_at(path, line,
                "pattern '" + utf8::encode(w) + "' is already matched by '" + utf8::encode(p) + "' (line " +
                    std::to_string(at[p]) + ")");
      }
    }
  }
  return t;
}

Titles Titles::load(const std::string& path) { return parse(read_whole_file(path), path); }

const std::string* Titles::single(char32_t c) const {
  const auto it = single_.find(c);
  return it == single_.end() ? nullptr : &it->second;
}

const std::vector<std::pair<char32_t, std::string>>* Titles::words_after(char32_t a) const {
  const auto it = words_.find(a);
  return it == words_.end() ? nullptr : &it->second;
}

const std::string* Titles::pair(char32_t a, char32_t b) const {
  if (const auto* w = words_after(a)) {
    for (const auto& [second, why] : *w) {
      if (second == b) return &why;
    }
  }
  if (const auto it = any_then_.find(b); it != any_then_.end()) return &it->second;
  if (const auto it = then_any_.find(a); it != then_any_.end()) return &it->second;
  return nullptr;
}

const std::string* Titles::reason(std::u32string_view given) const {
  if (given.empty()) return nullptr;
  if (given.size() == 1) return single(given[0]);
  return pair(given[given.size() - 2], given.back());
}

std::u32string Titles::chars() const {
  std::u32string out;
  for (const auto& [c, why] : single_) out.push_back(c);
  for (const auto& [c, why] : any_then_) out.push_back(c);
  for (const auto& [c, why] : then_any_) out.push_back(c);
  for (const auto& [a, w] : words_) {
    out.push_back(a);
    for (const auto& [b, why] : w) out.push_back(b);
  }
  return out;
}

}  // namespace wuxia
