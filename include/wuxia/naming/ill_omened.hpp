#pragma once
// The characters never proposed for a child's name (data/ill_omened.txt, the
// project's own list): death, disease, insult, bad luck, each with its reason.
#include <string>
#include <string_view>
#include <unordered_map>

namespace wuxia {

class IllOmened {
 public:
  // `path` names the file in errors ("<path>:<line>: ...").
  static IllOmened parse(std::string_view text, const std::string& path);
  static IllOmened load(const std::string& path);

  // The reason, or nullptr when `c` is not on the list.
  const std::string* reason(char32_t c) const;
  std::size_t size() const { return reasons_.size(); }
  const std::unordered_map<char32_t, std::string>& all() const { return reasons_; }

 private:
  std::unordered_map<char32_t, std::string> reasons_;
};

}  // namespace wuxia
