#pragma once
// The safetensors byte format (github.com/huggingface/safetensors): an 8-byte
// little-endian header length, a JSON header giving each tensor's dtype,
// shape and byte range, then the data section; string metadata sits under
// "__metadata__". This layer reads and writes float32 tensors and string
// metadata, adds wuxia's integrity check (metadata "checksum": a CRC-32 of the
// data section continued over the canonical header without it, so a flipped
// bit anywhere is caught) and writes atomically. What the tensors and the
// metadata mean is the checkpoint schema's business (src/checkpoint.cpp).
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
// is added; the caller's map must not hold that key). Atomic: a temporary
// file in the same folder, written, fsync'ed and renamed over `path`, then
// the folder fsync'ed. On any failure `path` is untouched, the temporary file
// removed, and wuxia::Error says why.
void write(const std::string& path, const std::vector<TensorOut>& tensors,
           const std::map<std::string, std::string>& metadata);

// A parsed, validated file. Tensor bytes stay in `bytes` (not necessarily
// aligned for float): copy_to() copies one out. `bytes` is the caller's
// buffer, not a copy: it must outlive the File.
struct File {
  struct Tensor {
    std::vector<int64_t> shape;
    std::size_t offset = 0;  // into bytes
    std::size_t size = 0;    // floats
  };
  std::string path;
  std::string_view bytes;
  std::map<std::string, std::string> metadata;  // "checksum" included
  std::map<std::string, Tensor> tensors;
  void copy_to(const std::string& name, float* dst) const;
  std::size_t data_bytes = 0;    // of the data section
  std::string unsigned_header;   // the canonical header without the checksum, for verify_checksum()
};

// Checks the file's structure, naming `path` and what is wrong: the header
// length against the file, the JSON, every entry (dtype F32, a shape of
// non-negative integers, data_offsets inside the data section whose length
// is the shape's), that the tensors cover the data section exactly (no gap,
// overlap or trailing bytes), that metadata values are strings and that a
// checksum is there. The checksum itself is checked by verify_checksum(),
// which a reader calls after its own checks of the contents: a damaged
// value then fails with the message that names it (a wrong shape, say),
// and whatever else is damaged fails the checksum.
File parse(std::string_view bytes, const std::string& path);
void verify_checksum(const File& f);

// Removes the temporary files an interrupted write() left in `dir` (nothing
// else is named ".<name>.tmp-XXXXXX") and no live process holds: write()
// keeps its temporary file locked (flock) until it is in place. Returns how
// many it removed.
std::size_t remove_stale_temps(const std::string& dir);

}  // namespace wuxia::safetensors
