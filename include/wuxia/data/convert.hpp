#pragma once
// Traditional <-> simplified Chinese (--convert t2s|s2t), through OpenCC's C
// API with its own configuration files (t2s.json, s2t.json; Debian's
// libopencc-data). Names are converted whole, so OpenCC's phrase tables see
// a name as it is written (乾隆 stays 乾隆, 於 as a surname stays 於 where
// OpenCC's tables say so).
#include <memory>
#include <string>

#include "wuxia/data/names.hpp"

namespace wuxia {

class ScriptConverter {
 public:
  // `direction`: "t2s" (traditional to simplified) or "s2t". `config_dir`:
  // where OpenCC's <direction>.json lives; empty = OpenCC's own data folder.
  // Throws wuxia::Error naming the configuration file when it cannot be
  // opened, and the flag when the direction is neither.
  explicit ScriptConverter(const std::string& direction, const std::string& config_dir = "");
  ~ScriptConverter();
  ScriptConverter(ScriptConverter&&) noexcept;
  ScriptConverter& operator=(ScriptConverter&&) noexcept;
  ScriptConverter(const ScriptConverter&) = delete;
  ScriptConverter& operator=(const ScriptConverter&) = delete;

  const std::string& direction() const { return direction_; }
  std::string operator()(const std::string& utf8) const;
  std::u32string operator()(const std::u32string& text) const;

 private:
  std::string direction_;
  void* handle_ = nullptr;  // opencc_t
};

// Every name of `f` converted; names that become equal are dropped after the
// first and counted in f.duplicates, as the loader counts its own.
NameFile convert_names(NameFile f, const ScriptConverter& convert);

}  // namespace wuxia
