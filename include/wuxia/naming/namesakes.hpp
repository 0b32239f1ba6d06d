#pragma once
// The people of the bundled name lists (data/ancient.txt, poets.txt,
// jinyong.txt, gulong.txt): a name `wuxia name` proposes or `wuxia explain`
// reads that is one of theirs has a namesake, a historical person, a poet or
// a novel's character (张绍曾, 李白, 郭靖). Modern people are in no bundled
// list, so 张朝阳 is not found (data/README.md).
//
// The lists are read on first use, as text, and searched as text: a set of
// the 267k names would cost about half a second to build (decoding and
// hashing each), while finding one name in the 3 MB is a millisecond, and
// `explain` answers a few names.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace wuxia {

class Namesakes {
 public:
  struct List {
    std::string name;  // "ancient", as the list's style is called
    std::string path;
  };
  Namesakes() = default;  // no lists: nobody is a namesake
  explicit Namesakes(std::vector<List> lists);
  // The four bundled lists in `dir` (ancient, poets, jinyong, gulong).
  static Namesakes in_dir(const std::string& dir);

  // The names of the lists (in their order) that hold `name` as a line.
  // Throws wuxia::Error "<path>: ..." when a list cannot be read, or
  // "<path>:<line>: ..." when it has a carriage return.
  std::vector<std::string> lists_of(std::u32string_view name) const;
  // Every listed name of `length` characters that begins with `surname`.
  std::vector<std::u32string> with_surname(std::u32string_view surname, std::size_t length) const;
  const std::vector<List>& lists() const;

 private:
  struct State;
  std::shared_ptr<State> s_;
};

}  // namespace wuxia
