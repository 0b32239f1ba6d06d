#pragma once
// The page's files (src/serve/page/), compiled in by cmake/embed_files.cmake.
#include <cstddef>
#include <vector>

namespace wuxia::serve {

struct PageAsset {
  const char* url;  // "/" for index.html, else "/<file name>"
  const char* content_type;
  const unsigned char* data;  // the file's bytes (static storage)
  std::size_t size;
};
const std::vector<PageAsset>& page_assets();

}  // namespace wuxia::serve
