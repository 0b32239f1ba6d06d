#pragma once
// Token ids (DESIGN "Tokens"): 0 = END, 1..S = START of each style,
// S+1.. = characters in sorted code-point order.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace wuxia {

inline constexpr int32_t kEnd = 0;

class Vocab {
 public:
  Vocab() = default;
  Vocab(std::vector<std::string> styles, std::vector<char32_t> chars);  // chars: any order, unique

  // Every character in `names` (all styles, validation included).
  static Vocab build(std::vector<std::string> styles, const std::vector<const std::u32string*>& names);

  int size() const { return 1 + num_styles() + static_cast<int>(chars_.size()); }
  int num_styles() const { return static_cast<int>(styles_.size()); }
  const std::vector<std::string>& styles() const { return styles_; }
  const std::vector<char32_t>& chars() const { return chars_; }

  int32_t start_id(int style) const { return 1 + style; }
  int style_index(const std::string& name) const;  // -1 when unknown
  bool is_char(int32_t id) const { return id > num_styles() && id < size(); }
  // -1 when the character is not in the vocabulary.
  int32_t id_of(char32_t c) const;
  char32_t char_of(int32_t id) const { return chars_.at(id - 1 - num_styles()); }

 private:
  std::vector<std::string> styles_;
  std::vector<char32_t> chars_;
  std::unordered_map<char32_t, int32_t> ids_;
};

}  // namespace wuxia
