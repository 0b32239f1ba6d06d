// How real names end (include/wuxia/naming/endings.hpp).
#include "wuxia/naming/endings.hpp"

#include "wuxia/data/data_files.hpp"
#include "wuxia/data/names.hpp"

namespace wuxia {

void Endings::add(std::u32string_view name) {
  for (char32_t c : name) ++counts_[c].seen;
  if (name.size() >= 2) ++counts_[name.back()].ends;
}

Endings Endings::load_bundled() {
  Endings e;
  // Read a line at a time, not as a NameFile: `wuxia sample` pays for this
  // on every run, and the lists hold no repeats to drop.
  for (const char* f : {"ancient.txt", "poets.txt"}) {
    for_each_name_line(bundled_data_file(f), [&](std::u32string name, std::size_t) { e.add(name); });
  }
  return e;
}

std::unordered_set<char32_t> Endings::rare(const NameLists& train, const NameLists& val) const {
  std::unordered_set<char32_t> out;
  for (const auto& [c, n] : counts_) {
    if (n.seen >= kMinSeen && static_cast<double>(n.ends) < kMaxEndShare * static_cast<double>(n.seen)) out.insert(c);
  }
  for (const NameLists* lists : {&train, &val}) {
    for (const auto& list : *lists) {
      for (const auto& name : list) {
        if (!name.empty()) out.erase(name.back());
      }
    }
  }
  return out;
}

}  // namespace wuxia
