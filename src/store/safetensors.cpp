#include "safetensors.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "wuxia/platform/error.hpp"
#include "wuxia/store/crc32.hpp"
#include "wuxia/train/interrupt.hpp"

namespace wuxia {

namespace safetensors {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxHeader = 256u << 20;  // far above any real header; stops absurd allocations
constexpr const char* kChecksumKey = "checksum";
constexpr const char* kPrefixChecksumKey = "prefix_checksum";
constexpr const char* kTempMarker = ".tmp-";

// CRC-32C of `n` data bytes, continued over a header (without the checksum
// itself) in nlohmann's canonical dump (sorted keys).
std::string checksum_of(const std::string& canon, const void* data, std::size_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "crc32c:%08x", crc32c(canon.data(), canon.size(), crc32c(data, n)));
  return buf;
}

// The same with CRC-32, which files written before CRC-32C carry ("crc32:").
std::string legacy_checksum_of(const std::string& canon, const void* data, std::size_t n) {
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

// Writes `parts` to a temporary file beside `path` and renames it over `path`.
void write_atomically(const std::string& path, const std::vector<std::pair<const void*, std::size_t>>& parts) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmpl = (dir / ("." + target.filename().string() + kTempMarker + "XXXXXX")).string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) io_fail(path, "cannot create a temporary file in " + dir.string());
  // Held until the file is in place: remove_stale_temps() spares a temporary
  // file whose writer is alive, and a second Ctrl-C removes it.
  ::flock(fd, LOCK_EX);
  const TempFileInFlight in_flight(tmpl);
  try {
    for (const auto& [p, n] : parts) write_all(fd, p, n, tmpl);
    if (::fsync(fd) != 0) io_fail(tmpl, "fsync failed");
  } catch (...) {
    ::unlink(tmpl.c_str());
    ::close(fd);
    throw;
  }
  if (std::rename(tmpl.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmpl.c_str());
    ::close(fd);
    errno = err;
    io_fail(path, "cannot rename the temporary file into place");
  }
  if (::close(fd) != 0) io_fail(path, "close failed");
  ::chmod(path.c_str(), 0644);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {  // make the rename itself durable
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

// One header entry, checked against the data section's length.
File::Tensor parse_entry(const std::string& name, const json& t, std::size_t data_len, const std::string& path) {
  // Named only in a message: a valid entry builds no string.
  const auto where = [&] { return path + ": tensor '" + name + "'"; };
  if (!t.is_object()) throw Error(where() + " entry is not an object");
  const auto dtype = t.find("dtype");
  if (dtype == t.end() || !dtype->is_string()) throw Error(where() + ": missing field 'dtype'");
  if (dtype->get_ref<const std::string&>() != "F32") {
    throw Error(where() + " has dtype " + dtype->get_ref<const std::string&>() + ", expected F32");
  }
  const auto shape = t.find("shape");
  if (shape == t.end() || !shape->is_array()) throw Error(where() + ": missing field 'shape'");
  File::Tensor out;
  out.shape.reserve(shape->size());
  const std::size_t max_elements = data_len / sizeof(float);
  std::size_t elements = 1;
  for (const auto& d : *shape) {
    if (!d.is_number_unsigned()) throw Error(where() + " shape is not a list of non-negative integers");
    const uint64_t n = d.get<uint64_t>();
    // Bounded by the data section before multiplying: no overflow.
    if (n > max_elements || (n && elements > max_elements / n)) {
      throw Error(where() + " has shape " + shape->dump() + ", more than the data section holds");
    }
    elements *= static_cast<std::size_t>(n);
    out.shape.push_back(static_cast<int64_t>(n));
  }
  const auto off = t.find("data_offsets");
  if (off == t.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
      !(*off)[1].is_number_unsigned()) {
    throw Error(where() + " data_offsets is not two non-negative integers");
  }
  const uint64_t b = (*off)[0].get<uint64_t>(), e = (*off)[1].get<uint64_t>();
  if (b > e || e > data_len) {
    throw Error(where() + " data_offsets [" + std::to_string(b) + ", " + std::to_string(e) +
                "] lie outside the data section (" + std::to_string(data_len) + " bytes): truncated file?");
  }
  if (e - b != elements * sizeof(float)) {
    throw Error(where() + " holds " + std::to_string(e - b) + " bytes, its shape " + shape_text(out.shape) + " needs " +
                std::to_string(elements * sizeof(float)));
  }
  out.offset = static_cast<std::size_t>(b);
  out.size = elements;
  return out;
}

}  // namespace

void write(const std::string& path, const std::vector<TensorOut>& tensors,
           const std::map<std::string, std::string>& metadata, std::size_t prefix_tensors) {
  if (metadata.count(kChecksumKey) || metadata.count(kPrefixChecksumKey)) {
    throw Error("safetensors::write: the metadata may not hold 'checksum' or 'prefix_checksum'");
  }
  if (prefix_tensors > tensors.size()) throw Error("safetensors::write: prefix_tensors exceeds the tensors");
  json header = json::object();
  std::size_t data_len = 0;
  for (const auto& t : tensors) {
    const std::size_t bytes = t.size * sizeof(float);
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {data_len, data_len + bytes}}};
    data_len += bytes;
  }
  // The data section in one piece: its CRC goes into the header, which comes first in the file.
  std::vector<char> data(data_len);
  std::size_t at = 0;
  for (const auto& t : tensors) {
    if (t.size) std::memcpy(data.data() + at, t.data, t.size * sizeof(float));
    at += t.size * sizeof(float);
  }
  json meta(metadata);
  header["__metadata__"] = meta;
  meta[kChecksumKey] = checksum_of(header.dump(), data.data(), data.size());
  header["__metadata__"] = meta;
  // Last, over the header with "checksum" in it: a reader of the prefix alone
  // then has every header byte it uses covered, that checksum's too.
  if (prefix_tensors) {
    std::size_t prefix = 0;
    for (std::size_t i = 0; i < prefix_tensors; ++i) prefix += tensors[i].size * sizeof(float);
    meta[kPrefixChecksumKey] = checksum_of(header.dump(), data.data(), prefix) + "/" + std::to_string(prefix);
    header["__metadata__"] = meta;
  }
  std::string head = header.dump();
  while ((head.size() + 8) % 8) head.push_back(' ');  // safetensors pads the header to 8 bytes
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(static_cast<uint64_t>(head.size()) >> (8 * i));
  write_atomically(path, {{len, 8}, {head.data(), head.size()}, {data.data(), data.size()}});
}

void File::copy_to(const std::string& name, float* dst) const {
  const Tensor& t = tensors.at(name);
  if (bytes.empty() && t.size) throw Error(path + ": copy_to needs the file read whole");
  if (t.size) std::memcpy(dst, bytes.data() + t.offset, t.size * sizeof(float));
}

namespace {

// The header length in the first 8 bytes, checked against the file's size
// before anything is allocated for it.
std::size_t header_length(const unsigned char* first8, std::size_t file_size, const std::string& path) {
  if (file_size < 8) {
    throw Error(path + ": truncated: " + std::to_string(file_size) + " bytes, shorter than the 8-byte header length");
  }
  uint64_t hlen = 0;
  for (int i = 0; i < 8; ++i) hlen |= static_cast<uint64_t>(first8[i]) << (8 * i);
  if (hlen > kMaxHeader || hlen > file_size - 8) {
    throw Error(path + ": header length " + std::to_string(hlen) + " exceeds the file (" + std::to_string(file_size) +
                " bytes): truncated or not a safetensors file");
  }
  return static_cast<std::size_t>(hlen);
}

// The header's JSON (`text`), for a file of `file_size` bytes.
File parse_header_text(std::string_view text, std::size_t file_size, const std::string& path) {
  File f;
  f.path = path;
  json header = json::parse(text.begin(), text.end(), nullptr, false);
  if (header.is_discarded()) throw Error(path + ": header is not valid JSON (damaged or not a safetensors file)");
  if (!header.is_object()) throw Error(path + ": header is not a JSON object");
  f.data_begin = 8 + text.size();
  f.data_bytes = file_size - f.data_begin;

  auto mit = header.find("__metadata__");
  if (mit != header.end()) {
    if (!mit->is_object()) throw Error(path + ": __metadata__ is not an object");
    for (auto it = mit->begin(); it != mit->end(); ++it) {
      if (!it->is_string()) throw Error(path + ": __metadata__." + it.key() + " is not a string");
      f.metadata[it.key()] = it->get<std::string>();
    }
  }
  struct Span {
    std::size_t begin, end;
    const std::string* name;
  };
  std::vector<Span> spans;
  spans.reserve(header.size());
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    File::Tensor t = parse_entry(it.key(), *it, f.data_bytes, path);
    t.offset += f.data_begin;
    const auto placed = f.tensors.emplace(it.key(), std::move(t)).first;
    spans.push_back({placed->second.offset - f.data_begin,
                     placed->second.offset - f.data_begin + placed->second.size * sizeof(float), &placed->first});
  }
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
  std::size_t pos = 0;
  for (const auto& s : spans) {
    if (s.begin != pos) throw Error(path + ": tensor '" + *s.name + "' overlaps another or leaves a gap in the data");
    pos = s.end;
  }
  if (pos != f.data_bytes) {
    throw Error(path + ": data section is " + std::to_string(f.data_bytes) + " bytes but the tensors cover " +
                std::to_string(pos) + " (trailing garbage or truncation)");
  }
  if (!f.metadata.count(kChecksumKey)) throw Error(path + ": metadata has no 'checksum' entry (not written by wuxia?)");
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  if (f.metadata.count(kPrefixChecksumKey)) {
    header["__metadata__"].erase(kPrefixChecksumKey);
    f.unprefixed_header = header.dump();
  }
  header["__metadata__"].erase(kChecksumKey);
  f.unsigned_header = header.dump();
#endif
  return f;
}

}  // namespace

File parse(std::string_view bytes, const std::string& path) {
  const std::size_t hlen = header_length(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), path);
  File f = parse_header_text(bytes.substr(8, hlen), bytes.size(), path);
  f.bytes = bytes;
  return f;
}

Reader::Reader(const std::string& path) : path_(path) {
  // Non-blocking, so that opening a FIFO does not wait for a writer; only a
  // regular file is read, so nothing can feed bytes without end.
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd_ < 0) throw Error(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const int err = errno;
    ::close(fd_);
    throw Error(path + ": cannot stat: " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    throw Error(path + (S_ISDIR(st.st_mode) ? ": is a directory, not a checkpoint file"
                                            : ": not a regular file (a device, FIFO or socket): not a checkpoint"));
  }
  size_ = static_cast<std::size_t>(st.st_size);
}

Reader::~Reader() {
  if (fd_ >= 0) ::close(fd_);
}

void Reader::read_at(std::size_t offset, std::size_t n, void* dst) const {
  auto* p = static_cast<char*>(dst);
  while (n) {
    const ssize_t r = ::pread(fd_, p, n, static_cast<off_t>(offset));
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      io_fail(path_, "read error");
    }
    if (r == 0) throw Error(path_ + ": ends early (truncated while being read?)");
    p += r;
    offset += static_cast<std::size_t>(r);
    n -= static_cast<std::size_t>(r);
  }
}

std::string Reader::read_all() const {
  std::string out(size_, '\0');
  read_at(0, size_, out.data());
  return out;
}

File read_header(const Reader& in) {
  unsigned char first8[8] = {};
  if (in.size() >= 8) in.read_at(0, 8, first8);
  const std::size_t hlen = header_length(first8, in.size(), in.path());
  std::string text(hlen, '\0');
  in.read_at(8, hlen, text.data());
  return parse_header_text(text, in.size(), in.path());
}

void verify_checksum(const File& f) {
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  // A fuzzer's mutations would never get past the checksum to the parser
  // behind it: scripts/fuzz.sh builds with this macro, nothing else does.
  const std::string& stored = f.metadata.at(kChecksumKey);
  const void* data = f.bytes.data() + f.data_begin;
  const std::string crc = stored.rfind("crc32:", 0) == 0 ? legacy_checksum_of(f.unsigned_header, data, f.data_bytes)
                                                         : checksum_of(f.unsigned_header, data, f.data_bytes);
  if (stored != crc) {
    throw Error(f.path + ": checksum mismatch (stored " + stored + ", contents give " + crc + "): the file is damaged");
  }
#else
  (void)f;
#endif
}

std::size_t prefix_checksum_bytes(const File& f) {
  const auto it = f.metadata.find(kPrefixChecksumKey);
  if (it == f.metadata.end()) return 0;
  const std::string& v = it->second;
  const auto slash = v.find('/');
  std::size_t n = 0;
  bool ok = v.rfind("crc32c:", 0) == 0 && slash == 15 && slash + 1 < v.size() && v.size() - slash - 1 <= 19;
  for (std::size_t i = slash + 1; ok && i < v.size(); ++i) {
    ok = v[i] >= '0' && v[i] <= '9';
    n = n * 10 + static_cast<std::size_t>(v[i] - '0');
  }
  if (!ok || n > f.data_bytes) {
    throw Error(f.path + ": metadata prefix_checksum '" + v +
                "' is damaged (expected crc32c:XXXXXXXX/BYTES within the " + std::to_string(f.data_bytes) +
                "-byte data section)");
  }
  return n;
}

void verify_prefix_checksum(const File& f, const void* data, std::size_t n) {
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  const std::string& stored = f.metadata.at(kPrefixChecksumKey);
  const std::string crc = checksum_of(f.unprefixed_header, data, n) + "/" + std::to_string(n);
  if (stored != crc) {
    throw Error(f.path + ": checksum mismatch (stored prefix " + stored + ", contents give " + crc +
                "): the file is damaged");
  }
#else
  (void)f, (void)data, (void)n;
#endif
}

std::size_t remove_stale_temps(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::size_t removed = 0;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() > 1 && name[0] == '.' && name.find(std::string(".safetensors") + kTempMarker) != std::string::npos) {
      // A writer holds its temporary file locked until it is renamed into
      // place: one that cannot be locked belongs to a live process.
      const int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      if (::flock(fd, LOCK_EX | LOCK_NB) == 0) removed += fs::remove(e.path(), ec);
      ::close(fd);
    }
  }
  return removed;
}

}  // namespace safetensors
}  // namespace wuxia
