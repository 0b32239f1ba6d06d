// The bundled name lists as namesakes (include/wuxia/naming/namesakes.hpp).
#include "wuxia/naming/namesakes.hpp"

#include <algorithm>
#include <functional>
#include <mutex>

#include "wuxia/data/utf8.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/store/file_io.hpp"

namespace wuxia {

struct Namesakes::State {
  std::vector<List> lists;
  std::once_flag once;
  // Each list's text with a LF before its first line and after its last, so
  // that "\n<name>\n" finds a name on any line and nothing else: header and
  // group lines start with '#', which no name does.
  std::vector<std::string> texts;

  const std::vector<std::string>& loaded() {
    std::call_once(once, [this] {
      std::vector<std::string> out;
      for (const auto& l : lists) {
        std::string t = "\n" + read_whole_file(l.path);
        if (t.back() != '\n') t.push_back('\n');
        if (const auto cr = t.find('\r'); cr != std::string::npos) {
          const auto line = std::count(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(cr), '\n');
          throw Error(l.path + ":" + std::to_string(line) + ": carriage return (the name lists are LF only)");
        }
        out.push_back(std::move(t));
      }
      texts = std::move(out);
    });
    return texts;
  }
};

Namesakes::Namesakes(std::vector<List> lists) : s_(std::make_shared<State>()) { s_->lists = std::move(lists); }

Namesakes Namesakes::in_dir(const std::string& dir) {
  std::vector<List> lists;
  for (const char* name : {"ancient", "poets", "jinyong", "gulong"}) lists.push_back({name, dir + "/" + name + ".txt"});
  return Namesakes(std::move(lists));
}

const std::vector<Namesakes::List>& Namesakes::lists() const {
  static const std::vector<List> none;
  return s_ ? s_->lists : none;
}

std::vector<std::string> Namesakes::lists_of(std::u32string_view name) const {
  std::vector<std::string> out;
  if (!s_ || name.empty()) return out;
  const std::string needle = "\n" + utf8::encode(name) + "\n";
  const std::boyer_moore_horspool_searcher search(needle.begin(), needle.end());
  const auto& texts = s_->loaded();
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (std::search(texts[i].begin(), texts[i].end(), search) != texts[i].end()) out.push_back(s_->lists[i].name);
  }
  return out;
}

std::vector<std::u32string> Namesakes::with_surname(std::u32string_view surname, std::size_t length) const {
  std::vector<std::u32string> out;
  if (!s_ || surname.empty()) return out;
  const std::string needle = "\n" + utf8::encode(surname);
  const std::boyer_moore_horspool_searcher search(needle.begin(), needle.end());
  for (const std::string& t : s_->loaded()) {
    auto at = t.begin();
    while ((at = std::search(at, t.end(), search)) != t.end()) {
      const auto start = at + 1;
      const auto end = std::find(start, t.end(), '\n');
      const auto name = utf8::decode(std::string_view(&*start, static_cast<std::size_t>(end - start)));
      if (name && name->size() == length) out.push_back(*name);
      at = end;
    }
  }
  return out;
}

}  // namespace wuxia
