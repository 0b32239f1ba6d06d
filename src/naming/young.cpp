// data/young.tsv (include/wuxia/young.hpp).
#include "wuxia/young.hpp"

#include "tsv.hpp"
#include "wuxia/file_io.hpp"

namespace wuxia {

YoungCounts YoungCounts::parse(std::string_view text, const std::string& path) {
  YoungCounts y;
  naming::for_each_record(text, path, 3, [&](const std::vector<std::string_view>& f, std::size_t line) {
    const char32_t c = naming::one_char(f[0], path, line, "char");
    // A bound far past any list's size keeps the totals from overflowing.
    const int64_t m = naming::count_field(f[1], path, line, "male", 1000000000);
    const int64_t w = naming::count_field(f[2], path, line, "female", 1000000000);
    if (!y.counts_.emplace(c, std::make_pair(m, w)).second)
      naming::fail_at(path, line, "the character is listed twice");
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

}  // namespace wuxia
