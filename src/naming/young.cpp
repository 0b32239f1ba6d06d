// data/young.tsv (include/wuxia/naming/young.hpp).
#include "wuxia/naming/young.hpp"

#include "tsv.hpp"
#include "wuxia/data/utf8.hpp"
#include "wuxia/store/file_io.hpp"

namespace wuxia {

namespace {
uint64_t name_key(char32_t a, char32_t b) { return (static_cast<uint64_t>(a) << 32) | b; }
}  // namespace

YoungCounts YoungCounts::parse(std::string_view text, const std::string& path) {
  YoungCounts y;
  naming::for_each_record(text, path, 3, [&](const std::vector<std::string_view>& f, std::size_t line) {
    const auto key = utf8::decode(f[0]);
    if (!key || key->empty() || key->size() > 2) {
      naming::fail_at(path, line, "key '" + std::string(f[0]) + "' is not one character or a two-character name");
    }
    // A bound far past any list's size keeps the totals from overflowing.
    const int64_t m = naming::count_field(f[1], path, line, "male", 1000000000);
    const int64_t w = naming::count_field(f[2], path, line, "female", 1000000000);
    if (key->size() == 2) {
      if (!y.names_.emplace(name_key((*key)[0], (*key)[1]), std::make_pair(m, w)).second) {
        naming::fail_at(path, line, "the name is listed twice");
      }
      return;
    }
    if (!y.names_.empty()) naming::fail_at(path, line, "a character after the names (the characters come first)");
    if (!y.counts_.emplace((*key)[0], std::make_pair(m, w)).second) {
      naming::fail_at(path, line, "the character is listed twice");
    }
    y.male_total_ += m;
    y.female_total_ += w;
  });
  return y;
}

YoungCounts YoungCounts::load(const std::string& path) { return parse(read_whole_file(path), path); }

std::pair<int64_t, int64_t> YoungCounts::of(char32_t c) const {
  const auto it = counts_.find(c);
  return it == counts_.end() ? std::make_pair(int64_t{0}, int64_t{0}) : it->second;
}

std::pair<int64_t, int64_t> YoungCounts::name(char32_t a, char32_t b) const {
  const auto it = names_.find(name_key(a, b));
  return it == names_.end() ? std::make_pair(int64_t{0}, int64_t{0}) : it->second;
}

}  // namespace wuxia
