#include "wuxia/checkpoint.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "wuxia/error.hpp"
#include "wuxia/file_io.hpp"
#include "wuxia/utf8.hpp"

namespace wuxia {

using nlohmann::json;

uint32_t crc32(const void* data, std::size_t n, uint32_t crc) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (std::size_t i = 0; i < n; ++i) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

namespace {

constexpr std::size_t kMaxHeader = 256u << 20;  // far above any real header; stops absurd allocations

json names_json(const std::vector<std::string>& styles, const std::vector<std::vector<std::u32string>>& names) {
  json j = json::object();
  for (std::size_t s = 0; s < styles.size(); ++s) {
    json list = json::array();
    if (s < names.size()) {
      for (const auto& n : names[s]) list.push_back(utf8::encode(n));
    }
    j[styles[s]] = std::move(list);
  }
  return j;
}

struct TensorRef {
  std::string name;
  const std::vector<float>* data;
  std::vector<int64_t> shape;
};

std::vector<TensorRef> tensors_of(const Checkpoint& ck, const ParamLayout& layout) {
  std::vector<TensorRef> out;
  for (const auto& e : layout.entries()) out.push_back({e.name, &ck.params, e.shape});
  if (!ck.adam_m.empty()) {
    for (const auto& e : layout.entries()) out.push_back({"optim.m." + e.name, &ck.adam_m, e.shape});
    for (const auto& e : layout.entries()) out.push_back({"optim.v." + e.name, &ck.adam_v, e.shape});
  }
  return out;
}

// CRC-32 of the data section, continued over the header (without the
// checksum itself) in nlohmann's canonical dump: a flipped bit anywhere, in
// tensor bytes or in a header value, changes it.
std::string checksum_of(const json& header_without_checksum, const void* data, std::size_t n) {
  const std::string canon = header_without_checksum.dump();
  char buf[32];
  std::snprintf(buf, sizeof buf, "crc32:%08x", crc32(canon.data(), canon.size(), crc32(data, n)));
  return buf;
}

[[noreturn]] void io_fail(const std::string& path, const std::string& what) {
  throw Error(path + ": " + what + ": " + std::strerror(errno));
}

void write_all(int fd, const void* data, std::size_t n, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (n) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      io_fail(path, "write failed");
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& ck) {
  const ParamLayout layout(ck.config);
  if (ck.params.size() != layout.total()) throw Error("save_checkpoint: parameter count does not match the config");
  if (ck.adam_m.size() != ck.adam_v.size() || (!ck.adam_m.empty() && ck.adam_m.size() != layout.total())) {
    throw Error("save_checkpoint: optimizer moments do not match the config");
  }
  const auto tensors = tensors_of(ck, layout);

  // Data section first: its CRC goes into the header.
  std::vector<char> data;
  json header = json::object();
  for (const auto& t : tensors) {
    const std::string base = t.name.rfind("optim.", 0) == 0 ? t.name.substr(8) : t.name;
    const auto& info = layout.at(base);
    const std::size_t begin = data.size(), bytes = info.size * sizeof(float);
    data.resize(begin + bytes);
    std::memcpy(data.data() + begin, t.data->data() + info.offset, bytes);
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {begin, begin + bytes}}};
  }
  std::u32string chars(ck.chars.begin(), ck.chars.end());
  json meta = json::object();
  meta["format"] = kCheckpointFormat;
  meta["config"] = json{{"vocab", ck.config.vocab},
                        {"embed", ck.config.embed},
                        {"hidden", ck.config.hidden},
                        {"layers", ck.config.layers},
                        {"dropout", ck.config.dropout}}
                       .dump();
  meta["vocab"] = json{{"styles", ck.styles}, {"chars", utf8::encode(chars)}}.dump();
  meta["settings"] = json{{"batch", ck.settings.batch},
                          {"lr", ck.settings.lr},
                          {"weight_decay", ck.settings.weight_decay},
                          {"clip", ck.settings.clip},
                          {"warmup", ck.settings.warmup},
                          {"decay_steps", ck.settings.decay_steps},
                          {"min_lr_ratio", ck.settings.min_lr_ratio},
                          {"seed", std::to_string(ck.settings.seed)}}
                         .dump();
  json best = std::isfinite(ck.state.best_val_loss) ? json(ck.state.best_val_loss) : json(nullptr);
  meta["state"] = json{{"step", ck.state.step}, {"epoch", ck.state.epoch}, {"best_val_loss", best},
                       {"best_step", ck.state.best_step}}
                      .dump();
  meta["names"] = json{{"train", names_json(ck.styles, ck.train_names)}, {"val", names_json(ck.styles, ck.val_names)}}
                      .dump();
  header["__metadata__"] = meta;
  meta["checksum"] = checksum_of(header, data.data(), data.size());
  header["__metadata__"] = meta;
  std::string head = header.dump();
  while ((head.size() + 8) % 8) head.push_back(' ');  // safetensors pads the header to 8 bytes
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(static_cast<uint64_t>(head.size()) >> (8 * i));

  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmpl = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) io_fail(path, "cannot create a temporary file in " + dir.string());
  try {
    write_all(fd, len, 8, tmpl);
    write_all(fd, head.data(), head.size(), tmpl);
    write_all(fd, data.data(), data.size(), tmpl);
    if (::fsync(fd) != 0) io_fail(tmpl, "fsync failed");
    if (::close(fd) != 0) io_fail(tmpl, "close failed");
  } catch (...) {
    ::close(fd);
    ::unlink(tmpl.c_str());
    throw;
  }
  if (std::rename(tmpl.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmpl.c_str());
    errno = err;
    io_fail(path, "cannot rename the temporary file into place");
  }
  ::chmod(path.c_str(), 0644);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {  // make the rename itself durable
    ::fsync(dfd);
    ::close(dfd);
  }
}

namespace {

// Typed access to a parsed JSON object with errors that name the field.
struct Fields {
  const json& j;
  std::string where;
  const json& get(const char* key, json::value_t type) const {
    auto it = j.find(key);
    if (it == j.end()) throw Error(where + ": missing field '" + key + "'");
    const bool ok = it->type() == type || (type == json::value_t::number_float && it->is_number()) ||
                    (type == json::value_t::number_integer && it->is_number_integer());
    if (!ok) throw Error(where + ": field '" + key + "' has the wrong type (" + it->type_name() + ")");
    return *it;
  }
  int64_t integer(const char* key) const { return get(key, json::value_t::number_integer).get<int64_t>(); }
  int int32(const char* key) const {
    const int64_t v = integer(key);
    if (v < INT32_MIN || v > INT32_MAX) throw Error(where + ": field '" + key + "' is out of range");
    return static_cast<int>(v);
  }
  double number(const char* key) const { return get(key, json::value_t::number_float).get<double>(); }
  std::string string(const char* key) const { return get(key, json::value_t::string).get<std::string>(); }
};

json parse_meta_json(const std::map<std::string, std::string>& meta, const char* key, const std::string& path) {
  auto it = meta.find(key);
  if (it == meta.end()) throw Error(path + ": metadata has no '" + key + "' entry");
  json j = json::parse(it->second, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw Error(path + ": metadata '" + key + "' is not a JSON object");
  return j;
}

std::vector<std::vector<std::u32string>> parse_names(const json& j, const std::vector<std::string>& styles,
                                                    const std::string& where) {
  std::vector<std::vector<std::u32string>> out(styles.size());
  if (!j.is_object()) throw Error(where + " is not an object");
  for (std::size_t s = 0; s < styles.size(); ++s) {
    auto it = j.find(styles[s]);
    if (it == j.end()) continue;
    if (!it->is_array()) throw Error(where + "." + styles[s] + " is not a list");
    for (const auto& n : *it) {
      if (!n.is_string()) throw Error(where + "." + styles[s] + " holds a non-string");
      out[s].push_back(utf8::decode_or_throw(n.get<std::string>(), where + "." + styles[s]));
    }
  }
  return out;
}

}  // namespace

Checkpoint load_checkpoint(const std::string& path) {
  return parse_checkpoint(read_whole_file(path), path);
}

Checkpoint parse_checkpoint(const std::string& file, const std::string& path) {
  if (file.size() < 8) throw Error(path + ": truncated: " + std::to_string(file.size()) + " bytes, shorter than the 8-byte header length");
  uint64_t hlen = 0;
  for (int i = 0; i < 8; ++i) hlen |= static_cast<uint64_t>(static_cast<unsigned char>(file[i])) << (8 * i);
  if (hlen > kMaxHeader || hlen > file.size() - 8) {
    throw Error(path + ": header length " + std::to_string(hlen) + " exceeds the file (" +
                std::to_string(file.size()) + " bytes): truncated or not a safetensors file");
  }
  const json header = json::parse(file.begin() + 8, file.begin() + 8 + static_cast<std::ptrdiff_t>(hlen), nullptr, false);
  if (header.is_discarded()) throw Error(path + ": header is not valid JSON (damaged or not a safetensors file)");
  if (!header.is_object()) throw Error(path + ": header is not a JSON object");
  const char* data = file.data() + 8 + hlen;
  const std::size_t data_len = file.size() - 8 - hlen;

  // ---- metadata ----
  auto mit = header.find("__metadata__");
  if (mit == header.end() || !mit->is_object()) throw Error(path + ": no __metadata__ (not a wuxia checkpoint)");
  std::map<std::string, std::string> meta;
  for (auto it = mit->begin(); it != mit->end(); ++it) {
    if (!it->is_string()) throw Error(path + ": __metadata__." + it.key() + " is not a string");
    meta[it.key()] = it->get<std::string>();
  }
  if (meta["format"] != kCheckpointFormat) {
    throw Error(path + ": format '" + meta["format"] + "' is not " + kCheckpointFormat);
  }
  Checkpoint ck;
  {
    const json j = parse_meta_json(meta, "config", path);
    Fields f{j, path + ": config"};
    ck.config.vocab = f.int32("vocab");
    ck.config.embed = f.int32("embed");
    ck.config.hidden = f.int32("hidden");
    ck.config.layers = f.int32("layers");
    ck.config.dropout = f.number("dropout");
    try {
      ck.config.validate();
    } catch (const Error& e) {
      throw Error(path + ": " + e.what());
    }
  }
  {
    const json j = parse_meta_json(meta, "vocab", path);
    Fields f{j, path + ": vocab"};
    const json& styles = f.get("styles", json::value_t::array);
    for (const auto& s : styles) {
      if (!s.is_string() || s.get<std::string>().empty()) throw Error(path + ": vocab.styles holds a non-name");
      ck.styles.push_back(s.get<std::string>());
    }
    const std::u32string chars = utf8::decode_or_throw(f.string("chars"), path + ": vocab.chars");
    ck.chars.assign(chars.begin(), chars.end());
    if (!std::is_sorted(ck.chars.begin(), ck.chars.end()) ||
        std::adjacent_find(ck.chars.begin(), ck.chars.end()) != ck.chars.end()) {
      throw Error(path + ": vocab.chars is not sorted and unique");
    }
    if (ck.styles.empty()) throw Error(path + ": vocab.styles is empty");
    const std::size_t v = 1 + ck.styles.size() + ck.chars.size();
    if (v != static_cast<std::size_t>(ck.config.vocab)) {
      throw Error(path + ": vocabulary has " + std::to_string(v) + " tokens but config.vocab is " +
                  std::to_string(ck.config.vocab));
    }
  }
  {
    const json j = parse_meta_json(meta, "settings", path);
    Fields f{j, path + ": settings"};
    ck.settings.batch = f.int32("batch");
    ck.settings.lr = f.number("lr");
    ck.settings.weight_decay = f.number("weight_decay");
    ck.settings.clip = f.number("clip");
    ck.settings.warmup = f.integer("warmup");
    ck.settings.decay_steps = f.integer("decay_steps");
    ck.settings.min_lr_ratio = f.number("min_lr_ratio");
    try {
      ck.settings.seed = std::stoull(f.string("seed"));
    } catch (const std::exception&) {
      throw Error(path + ": settings.seed is not a number");
    }
    if (ck.settings.batch < 1) throw Error(path + ": settings.batch must be positive");
  }
  {
    const json j = parse_meta_json(meta, "state", path);
    Fields f{j, path + ": state"};
    ck.state.step = f.integer("step");
    ck.state.epoch = f.integer("epoch");
    ck.state.best_step = f.integer("best_step");
    const auto bit = j.find("best_val_loss");
    if (bit == j.end()) throw Error(path + ": state: missing field 'best_val_loss'");
    if (bit->is_number()) {
      ck.state.best_val_loss = bit->get<double>();
    } else if (!bit->is_null()) {
      throw Error(path + ": state: field 'best_val_loss' has the wrong type");
    }
    if (ck.state.step < 0) throw Error(path + ": state.step is negative");
  }
  {
    const json j = parse_meta_json(meta, "names", path);
    auto t = j.find("train"), v = j.find("val");
    if (t == j.end() || v == j.end()) throw Error(path + ": names needs 'train' and 'val'");
    ck.train_names = parse_names(*t, ck.styles, path + ": names.train");
    ck.val_names = parse_names(*v, ck.styles, path + ": names.val");
  }

  // ---- tensors ----
  const ParamLayout layout(ck.config);
  // Before allocating: a config whose tensors cannot fit in the file is damaged.
  if (layout.total() > data_len / sizeof(float)) {
    throw Error(path + ": config needs " + std::to_string(layout.total()) + " parameters but the data section holds " +
                std::to_string(data_len / sizeof(float)) + " floats");
  }
  std::map<std::string, const ParamInfo*> expected;
  for (const auto& e : layout.entries()) expected[e.name] = &e;
  struct Span {
    std::size_t begin, end;
    std::string name;
  };
  std::vector<Span> spans;
  bool has_m = false, has_v = false;
  ck.params.assign(layout.total(), 0.f);
  std::vector<float> m(layout.total()), v(layout.total());
  std::size_t seen_params = 0, seen_m = 0, seen_v = 0;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const std::string& name = it.key();
    std::string base = name;
    std::vector<float>* dst = &ck.params;
    std::size_t* seen = &seen_params;
    if (name.rfind("optim.m.", 0) == 0) {
      base = name.substr(8), dst = &m, seen = &seen_m, has_m = true;
    } else if (name.rfind("optim.v.", 0) == 0) {
      base = name.substr(8), dst = &v, seen = &seen_v, has_v = true;
    }
    auto e = expected.find(base);
    if (e == expected.end()) throw Error(path + ": unexpected tensor '" + name + "'");
    const ParamInfo& info = *e->second;
    const json& t = *it;
    if (!t.is_object()) throw Error(path + ": tensor '" + name + "' entry is not an object");
    Fields f{t, path + ": tensor '" + name + "'"};
    const std::string dtype = f.string("dtype");
    if (dtype != "F32") throw Error(path + ": tensor '" + name + "' has dtype " + dtype + ", expected F32");
    const json& shape = f.get("shape", json::value_t::array);
    std::vector<int64_t> got;
    for (const auto& d : shape) {
      if (!d.is_number_integer()) throw Error(path + ": tensor '" + name + "' shape is not a list of integers");
      got.push_back(d.get<int64_t>());
    }
    if (got != info.shape) {
      std::string g = "[", w = "[";
      for (auto d : got) g += std::to_string(d) + ",";
      for (auto d : info.shape) w += std::to_string(d) + ",";
      g.back() = ']';
      w.back() = ']';
      throw Error(path + ": tensor '" + name + "' has shape " + g + ", config expects " + w);
    }
    const json& off = f.get("data_offsets", json::value_t::array);
    if (off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned()) {
      throw Error(path + ": tensor '" + name + "' data_offsets is not two non-negative integers");
    }
    const std::size_t b = off[0].get<std::size_t>(), en = off[1].get<std::size_t>();
    if (b > en || en > data_len) {
      throw Error(path + ": tensor '" + name + "' data_offsets [" + std::to_string(b) + ", " + std::to_string(en) +
                  "] lie outside the data section (" + std::to_string(data_len) + " bytes): truncated file?");
    }
    if (en - b != info.size * sizeof(float)) {
      throw Error(path + ": tensor '" + name + "' holds " + std::to_string(en - b) + " bytes, its shape needs " +
                  std::to_string(info.size * sizeof(float)));
    }
    std::memcpy(dst->data() + info.offset, data + b, en - b);
    spans.push_back({b, en, name});
    ++*seen;
  }
  const std::size_t n_expected = layout.entries().size();
  if (seen_params != n_expected) {
    for (const auto& e : layout.entries()) {
      if (!header.contains(e.name)) throw Error(path + ": missing tensor '" + e.name + "'");
    }
  }
  if (has_m || has_v) {
    if (seen_m != n_expected || seen_v != n_expected) throw Error(path + ": optimizer moments are incomplete");
    ck.adam_m = std::move(m);
    ck.adam_v = std::move(v);
  }
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
  std::size_t pos = 0;
  for (const auto& s : spans) {
    if (s.begin != pos) throw Error(path + ": tensor '" + s.name + "' overlaps another or leaves a gap in the data");
    pos = s.end;
  }
  if (pos != data_len) {
    throw Error(path + ": data section is " + std::to_string(data_len) + " bytes but the tensors cover " +
                std::to_string(pos) + " (trailing garbage or truncation)");
  }
  json unsigned_header = header;
  unsigned_header["__metadata__"].erase("checksum");
  const std::string crc = checksum_of(unsigned_header, data, data_len);
  if (meta["checksum"] != crc) {
    throw Error(path + ": checksum mismatch (stored " + meta["checksum"] + ", contents give " + crc +
                "): the file is damaged");
  }
  for (float x : ck.params) {
    if (!std::isfinite(x)) throw Error(path + ": parameters hold NaN or Inf");
  }
  return ck;
}

}  // namespace wuxia
