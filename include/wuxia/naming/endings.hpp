#pragma once
// How real names end (data/ancient.txt and poets.txt: 266k names): a
// character that many real names hold but almost none ends with (小, 自, 不;
// 何, 沈 and 陆, which begin names as surnames) ends an invented name cut short
// (张小, 杨自) or made of two surnames (文何, 魏沈). `wuxia sample` and the
// page's wuxia list refuse such a name (SampleOptions::rare_endings) unless
// a name the model learnt ends the same way (阿朱, 小马, 韩千叶: fiction ends
// names as history seldom does). docs/QUALITY.md, "Sampling defaults", has
// how many samples it refuses and how many of those a reader finds broken.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace wuxia {

class Endings {
 public:
  // A character seen fewer times than this says too little to refuse on.
  static constexpr uint32_t kMinSeen = 30;
  // ... and one that ends fewer than this share of the names it is in is a
  // rare ending (5%: the names of 2 characters or more; docs/QUALITY.md).
  static constexpr double kMaxEndShare = 0.05;

  // Counts each character of `name` once per place it holds, and its last
  // character as an ending when the name has two or more.
  void add(std::u32string_view name);
  // The bundled real names (data/ancient.txt, data/poets.txt), counted;
  // throws wuxia::Error naming the file when one cannot be read.
  static Endings load_bundled();

  // The characters seen at least kMinSeen times that end less than
  // kMaxEndShare of them, less every last character of the model's own
  // names (a checkpoint's training and validation lists, every style's).
  using NameLists = std::vector<std::vector<std::u32string>>;
  std::unordered_set<char32_t> rare(const NameLists& train, const NameLists& val) const;

 private:
  struct Count {
    uint32_t seen = 0, ends = 0;
  };
  std::unordered_map<char32_t, Count> counts_;
};

}  // namespace wuxia
