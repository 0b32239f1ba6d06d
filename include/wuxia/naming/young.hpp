#pragma once
// How often each character is in the given names of young people's lists,
// and those lists' two-character given names themselves (data/young.tsv,
// made by scripts/make_young.py from two fake-data generators' lists): a
// signal of today's fashion for today.hpp, not a census.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace wuxia {

class YoungCounts {
 public:
  // `path` names the file in errors ("<path>:<line>: ...").
  static YoungCounts parse(std::string_view text, const std::string& path);
  static YoungCounts load(const std::string& path);
  // {male, female}; {0, 0} for a character the lists lack.
  std::pair<int64_t, int64_t> of(char32_t c) const;
  // {male, female} for the two-character given name ab; {0, 0} when no list has it.
  std::pair<int64_t, int64_t> name(char32_t a, char32_t b) const;
  std::size_t names() const { return names_.size(); }
  // Over the characters' counts (the names' are apart).
  int64_t male_total() const { return male_total_; }
  int64_t female_total() const { return female_total_; }
  std::size_t size() const { return counts_.size(); }

 private:
  std::unordered_map<char32_t, std::pair<int64_t, int64_t>> counts_;
  std::unordered_map<uint64_t, std::pair<int64_t, int64_t>> names_;  // key: a << 32 | b
  int64_t male_total_ = 0, female_total_ = 0;
};

}  // namespace wuxia
