#include "wuxia/data/vocab.hpp"

#include <algorithm>
#include <set>

#include "wuxia/platform/error.hpp"

namespace wuxia {

Vocab::Vocab(std::vector<std::string> styles, std::vector<char32_t> chars)
    : styles_(std::move(styles)), chars_(std::move(chars)) {
  if (styles_.empty()) throw Error("vocabulary: at least one style is needed");
  std::sort(chars_.begin(), chars_.end());
  if (std::adjacent_find(chars_.begin(), chars_.end()) != chars_.end()) throw Error("vocabulary: repeated character");
  for (std::size_t i = 0; i < styles_.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (styles_[i] == styles_[j]) throw Error("vocabulary: style '" + styles_[i] + "' given twice");
    }
  }
  for (std::size_t i = 0; i < chars_.size(); ++i) ids_[chars_[i]] = static_cast<int32_t>(1 + styles_.size() + i);
}

Vocab Vocab::build(std::vector<std::string> styles, const std::vector<const std::u32string*>& names) {
  std::set<char32_t> set;
  for (const auto* n : names) set.insert(n->begin(), n->end());
  return Vocab(std::move(styles), std::vector<char32_t>(set.begin(), set.end()));
}

int Vocab::style_index(const std::string& name) const {
  for (std::size_t i = 0; i < styles_.size(); ++i) {
    if (styles_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

int32_t Vocab::id_of(char32_t c) const {
  auto it = ids_.find(c);
  return it == ids_.end() ? -1 : it->second;
}

}  // namespace wuxia
