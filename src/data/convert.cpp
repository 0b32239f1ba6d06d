// OpenCC is loaded when a conversion is first asked for (dlopen), not linked:
// only --convert needs it, and every other command then runs where it is not
// installed (the GPU machines' images lack the Debian packages; the CUDA
// emulator links a fixed set of libraries). The function types come from
// OpenCC's own header, so a signature that changed would not compile.
#include "wuxia/data/convert.hpp"

#include <dlfcn.h>
#include <opencc/opencc.h>

#include <mutex>
#include <type_traits>
#include <unordered_set>
#include <utility>

#include "wuxia/data/utf8.hpp"
#include "wuxia/platform/error.hpp"

namespace wuxia {

namespace {

// The configuration folder OpenCC was built to read (Debian: /usr/share/opencc),
// for messages only: opencc_open searches it itself.
constexpr const char* kOpenccDataDir = "/usr/share/opencc";
constexpr const char* kOpenccLibrary = "libopencc.so.1.1";  // Debian's libopencc1.1

struct OpenccApi {
  decltype(&opencc_open) open = nullptr;
  decltype(&opencc_close) close = nullptr;
  decltype(&opencc_convert_utf8) convert = nullptr;
  decltype(&opencc_convert_utf8_free) free = nullptr;
  decltype(&opencc_error) error = nullptr;
};

// The library's entry points, loaded once (never unloaded: converters may
// live until exit). Throws naming the library when it cannot be loaded.
const OpenccApi& opencc() {
  static OpenccApi api;
  static std::string failure;
  static std::once_flag once;
  std::call_once(once, [] {
    void* lib = ::dlopen(kOpenccLibrary, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      failure = ::dlerror();
      return;
    }
    auto sym = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(lib, name));
      if (!fn && failure.empty()) failure = std::string(kOpenccLibrary) + " has no " + name;
    };
    sym(api.open, "opencc_open");
    sym(api.close, "opencc_close");
    sym(api.convert, "opencc_convert_utf8");
    sym(api.free, "opencc_convert_utf8_free");
    sym(api.error, "opencc_error");
  });
  if (!failure.empty()) {
    throw Error("--convert needs OpenCC's library " + std::string(kOpenccLibrary) +
                " (Debian: libopencc1.1, which "
                "scripts/setup.sh installs): " +
                failure);
  }
  return api;
}

opencc_t as_handle(void* p) { return static_cast<opencc_t>(p); }

}  // namespace

ScriptConverter::ScriptConverter(const std::string& direction, const std::string& config_dir) : direction_(direction) {
  if (direction != "t2s" && direction != "s2t") throw Error("--convert " + direction + ": expected t2s or s2t");
  const std::string file = direction + ".json";
  const std::string path = config_dir.empty() ? file : config_dir + "/" + file;
  const OpenccApi& cc = opencc();
  const opencc_t h = cc.open(path.c_str());
  if (h == reinterpret_cast<opencc_t>(-1)) {
    const std::string shown = config_dir.empty() ? std::string(kOpenccDataDir) + "/" + file : path;
    throw Error("--convert " + direction + ": cannot open OpenCC's configuration file " + shown + " (" + cc.error() +
                "); Debian installs it with libopencc-data (scripts/setup.sh)");
  }
  handle_ = h;
}

ScriptConverter::~ScriptConverter() {
  if (handle_) opencc().close(as_handle(handle_));
}

ScriptConverter::ScriptConverter(ScriptConverter&& o) noexcept
    : direction_(std::move(o.direction_)), handle_(std::exchange(o.handle_, nullptr)) {}

ScriptConverter& ScriptConverter::operator=(ScriptConverter&& o) noexcept {
  if (this != &o) {
    if (handle_) opencc().close(as_handle(handle_));
    direction_ = std::move(o.direction_);
    handle_ = std::exchange(o.handle_, nullptr);
  }
  return *this;
}

std::string ScriptConverter::operator()(const std::string& utf8) const {
  const OpenccApi& cc = opencc();
  char* out = cc.convert(as_handle(handle_), utf8.data(), utf8.size());
  if (!out) throw Error("OpenCC " + direction_ + " failed on '" + utf8 + "': " + cc.error());
  std::string s(out);
  cc.free(out);
  return s;
}

std::u32string ScriptConverter::operator()(const std::u32string& text) const {
  return utf8::decode_or_throw((*this)(utf8::encode(text)), "OpenCC's output");
}

NameFile convert_names(NameFile f, const ScriptConverter& convert) {
  std::unordered_set<std::u32string> seen;
  std::vector<std::u32string> out;
  out.reserve(f.names.size());
  for (const auto& n : f.names) {
    std::u32string c = convert(n);
    if (seen.insert(c).second) {
      out.push_back(std::move(c));
    } else {
      ++f.duplicates;
    }
  }
  f.names = std::move(out);
  return f;
}

}  // namespace wuxia
