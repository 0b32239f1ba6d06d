#pragma once
// The safetensors byte format (github.com/huggingface/safetensors): an 8-byte
// little-endian header length, a JSON header giving each tensor's dtype,
// shape and byte range, then the data section; string metadata sits under
// "__metadata__". This layer reads and writes float32 tensors and string
// metadata, adds wuxia's integrity checks (metadata "checksum": a CRC of the
// data section continued over the canonical header without it, so a flipped
// bit anywhere is caught; "prefix_checksum": the same over the first tensors
// only) and writes atomically. What the tensors and the
// metadata mean is the checkpoint schema's business (src/store/checkpoint.cpp).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace wuxia::safetensors {

// One tensor to write: `size` floats at `data` (host memory), row-major.
struct TensorOut {
  std::string name;
  std::vector<int64_t> shape;
  const float* data = nullptr;
  std::size_t size = 0;
};

// Writes tensors (in this order in the data section) and metadata ("checksum"
// and "prefix_checksum" are added; the caller's map must hold neither).
// "checksum" covers the whole file: a CRC-32C of the data section continued
// over the canonical header without either checksum. "prefix_checksum",
// written when `prefix_tensors` > 0, covers the first `prefix_tensors`
// tensors (the start of the data section) and the header, "checksum"
// included: "crc32c:XXXXXXXX/N", a CRC-32C of the data section's first N
// bytes continued over the canonical header without itself. A reader of
// those tensors alone so checks every byte it uses; a reader of the whole
// file checks both. Atomic: a temporary file in the same folder, written,
// fsync'ed and renamed over `path`, then the folder fsync'ed. On any failure
// `path` is untouched, the temporary file removed, and wuxia::Error says why.
void write(const std::string& path, const std::vector<TensorOut>& tensors,
           const std::map<std::string, std::string>& metadata, std::size_t prefix_tensors = 0);

// An open file to read a safetensors file from, by parts (RAII). Only a
// regular file opens: a FIFO, /dev/zero or a folder is refused at once
// (never waited on or read without end), naming the path.
class Reader {
 public:
  explicit Reader(const std::string& path);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  const std::string& path() const { return path_; }
  std::size_t size() const { return size_; }
  // Exactly `n` bytes at `offset` into `dst`; a short read (the file shrank)
  // or a failing one throws naming the path.
  void read_at(std::size_t offset, std::size_t n, void* dst) const;
  std::string read_all() const;

 private:
  std::string path_;
  int fd_ = -1;
  std::size_t size_ = 0;
};

// A parsed, validated header, and the file's bytes when it was read whole.
// Tensor offsets are from the start of the file.
struct File {
  struct Tensor {
    std::vector<int64_t> shape;
    std::size_t offset = 0;  // from the start of the file
    std::size_t size = 0;    // floats
  };
  std::string path;
  std::string_view bytes;                       // the whole file (parse()); empty after read_header()
  std::map<std::string, std::string> metadata;  // the checksums included
  std::map<std::string, Tensor> tensors;
  std::size_t data_begin = 0;  // where the data section starts
  std::size_t data_bytes = 0;  // its length
  // The canonical header (nlohmann's dump, sorted keys) without either
  // checksum, and without "prefix_checksum" only (when there is one).
  std::string unsigned_header, unprefixed_header;
  // Copies tensor `name` out of `bytes` (a file read whole) into `dst`.
  void copy_to(const std::string& name, float* dst) const;
};

// Checks the file's structure, naming `path` and what is wrong: the header
// length against the file, the JSON, every entry (dtype F32, a shape of
// non-negative integers, data_offsets inside the data section whose length
// is the shape's), that the tensors cover the data section exactly (no gap,
// overlap or trailing bytes), that metadata values are strings and that a
// checksum is there. The checksums themselves are checked by
// verify_checksum() and verify_prefix_checksum(), which a reader calls after
// its own checks of the contents: a damaged value then fails with the
// message that names it (a wrong shape, say), and whatever else is damaged
// fails the checksum. `bytes` is the caller's buffer, not a copy: it must
// outlive the File.
File parse(std::string_view bytes, const std::string& path);
// The same from an open file, reading only the header (its length is checked
// against the file before it is read); tensors are then read with
// Reader::read_at.
File read_header(const Reader& in);
// The whole-file checksum ("crc32:" in files written before CRC-32C, still
// read; "crc32c:" since). Needs f.bytes.
void verify_checksum(const File& f);
// The number of data bytes "prefix_checksum" covers (0 when the file has
// none: written before it, or by another writer). Throws when it is damaged.
std::size_t prefix_checksum_bytes(const File& f);
// Checks "prefix_checksum" against `data` (the first prefix_checksum_bytes(f)
// bytes of the data section, as read) and the header.
void verify_prefix_checksum(const File& f, const void* data, std::size_t n);

// Removes the temporary files an interrupted write() left in `dir` (nothing
// else is named ".<name>.tmp-XXXXXX") and no live process holds: write()
// keeps its temporary file locked (flock) until it is in place. Returns how
// many it removed.
std::size_t remove_stale_temps(const std::string& dir);

}  // namespace wuxia::safetensors
