//===- Safetensors.h - Reads and writes safetensors files -----------------===//
//
// The Hugging Face safetensors format: an 8-byte little-endian header length
// N, N bytes of UTF-8 JSON, then the data section. The JSON is an object
// mapping each tensor name to
//   {"dtype": "BF16", "shape": [128256, 2560], "data_offsets": [begin, end]}
// (offsets relative to the data section, end exclusive) plus an optional
// "__metadata__" object of string -> string. Tensor data is row-major,
// little-endian. Hugging Face's writer pads the JSON with spaces so that the
// data section starts at a multiple of 8 and lays tensors out back to back.
//
// SafetensorsFile memory-maps a file (MappedFile) and validates the whole
// header before handing out views: the header length, the JSON, every
// tensor's dtype, shape and offsets, and that no two tensors overlap. Gaps
// between tensors and bytes after the last one are tolerated (Hugging Face's
// reader is stricter; nothing reads them). Bad input never throws or aborts:
// every failure is an error message naming the file and the tensor or key.
//
// SafetensorsWriter produces files for tests and conversion tools; it
// streams the header and then each tensor, so a tensor can be produced by a
// callback when it is written instead of being held in memory up front.
//
// This file also hosts the no-throw JSON parsing the Hugging Face loaders
// share (parseJsonNoThrow).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_MODEL_SAFETENSORS_H
#define TERN_RUNTIME_MODEL_SAFETENSORS_H

#include "runtime/model/MappedFile.h"
#include "runtime/model/OrError.h"
#include "runtime/support/Json.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tern {

/// Element types Tern reads from safetensors files (the format defines a
/// few more, e.g. F8_E4M3; a file using them is rejected with a message
/// naming the tensor and the dtype).
enum class SafetensorsDType : uint32_t {
  BOOL,
  U8,
  I8,
  I16,
  U16,
  F16,
  BF16,
  I32,
  U32,
  F32,
  F64,
  I64,
  U64
};

/// The dtype's name as the header spells it ("BF16").
const char *safetensorsDTypeName(SafetensorsDType dtype);
/// Bytes per element (1, 2, 4 or 8).
uint32_t safetensorsDTypeSize(SafetensorsDType dtype);
/// The dtype called `name` (case-sensitive, as in the header), if known.
std::optional<SafetensorsDType> safetensorsDTypeFromName(std::string_view name);
/// "BOOL, U8, I8, ..." (for error messages).
std::string safetensorsDTypeList();

/// One tensor of a SafetensorsFile.
struct SafetensorsTensorInfo {
  std::string name;
  SafetensorsDType dtype = SafetensorsDType::U8;
  std::vector<int64_t> shape; ///< Row-major, outermost first; [] = scalar.
  int64_t numElements = 0;    ///< Product of shape (1 for a scalar).
  uint64_t offset = 0;        ///< data_offsets[0], relative to the data.
  uint64_t byteSize = 0;      ///< numElements * element size.
  /// Start of the bytes in the mapping; any alignment (the data section
  /// starts at 8 + N and tensors are packed back to back).
  const uint8_t *data = nullptr;

  const char *dtypeName() const { return safetensorsDTypeName(dtype); }
};

class SafetensorsFile;
using SafetensorsFileOrError = OrError<SafetensorsFile>;

/// A validated, memory-mapped safetensors file. Cheap to copy (the mapping
/// and the parsed header are shared); views stay valid while any copy or
/// mapping() reference lives.
class SafetensorsFile {
public:
  /// Maps and validates the file at `path`.
  static SafetensorsFileOrError open(const std::string &path);
  /// Validates bytes already in memory; `file->name()` names it in errors.
  static SafetensorsFileOrError parse(std::shared_ptr<const MappedFile> file);

  /// The path (or the name given to MappedFile::fromBuffer).
  const std::string &path() const { return file_->name(); }
  /// All tensors, ordered by data offset (then name).
  const std::vector<SafetensorsTensorInfo> &tensors() const {
    return state_->tensors;
  }
  /// The tensor called `name`, or nullptr.
  const SafetensorsTensorInfo *findTensor(const std::string &name) const;
  /// The "__metadata__" entries (empty when absent).
  const std::map<std::string, std::string> &metadata() const {
    return state_->metadata;
  }
  /// N, the JSON header's length in bytes (padding included).
  uint64_t headerSize() const { return state_->headerSize; }
  /// 8 + N: where the data section starts in the file.
  uint64_t dataOffset() const { return 8 + state_->headerSize; }
  /// The mapping the views point into.
  const std::shared_ptr<const MappedFile> &mapping() const { return file_; }

private:
  struct State {
    uint64_t headerSize = 0;
    std::vector<SafetensorsTensorInfo> tensors;
    std::unordered_map<std::string, size_t> byName;
    std::map<std::string, std::string> metadata;
  };
  SafetensorsFile() = default;

  std::shared_ptr<const MappedFile> file_;
  std::shared_ptr<const State> state_;
};

/// Accumulates tensors, then writes a safetensors file. Tensors are laid
/// out in the order they were added, back to back (no alignment padding, as
/// in Hugging Face's files: a tensor's data is aligned only as far as the
/// sizes before it allow). The header is padded with spaces to a multiple
/// of 8 bytes.
///
/// The writer checks what it is given (so that it never writes a file the
/// reader rejects): names unique, non-empty, valid UTF-8 and not
/// "__metadata__"; shapes non-negative; each tensor's byte size equal to
/// its element count times its dtype's size. Tests that need malformed
/// files build the bytes themselves.
class SafetensorsWriter {
public:
  /// Produces a tensor's bytes when the file is written: `dst` holds the
  /// tensor's byte size, zero-filled.
  using FillFn = std::function<void(uint8_t *dst)>;

  /// Adds a tensor whose bytes are given now.
  void addTensor(const std::string &name, SafetensorsDType dtype,
                 std::vector<int64_t> shape, std::vector<uint8_t> bytes);
  /// Adds a tensor of `byteSize` bytes produced by `fill` at write time
  /// (called once per write, one tensor at a time).
  void addTensor(const std::string &name, SafetensorsDType dtype,
                 std::vector<int64_t> shape, uint64_t byteSize, FillFn fill);
  /// Sets a "__metadata__" entry (a repeated key replaces the value).
  void addMetadata(const std::string &key, const std::string &value);

  size_t numTensors() const { return tensors_.size(); }

  /// The JSON header (unpadded), or an error naming the offending tensor.
  OrError<std::string> header() const;
  /// The whole file in memory (calls the fill callbacks).
  OrError<std::vector<uint8_t>> serialize() const;
  /// Streams the file to `path`: the header, then each tensor (one fill
  /// buffer at a time). Returns "" or an error naming `path` (a partly
  /// written file is removed).
  std::string writeFile(const std::string &path) const;

private:
  struct Tensor {
    std::string name;
    SafetensorsDType dtype;
    std::vector<int64_t> shape;
    uint64_t byteSize = 0;
    std::vector<uint8_t> bytes; // When `fill` is empty.
    FillFn fill;
  };
  /// Header padded to a multiple of 8, or an error.
  OrError<std::string> paddedHeader() const;

  std::vector<Tensor> tensors_;
  std::vector<std::pair<std::string, std::string>> metadata_;
};

// parseJsonNoThrow and quoteJson: see runtime/support/Json.h.

/// The value of a JSON integer that fits int64_t; nullopt for anything
/// else (floats, booleans, strings, out-of-range unsigned numbers).
std::optional<int64_t> jsonInt64(const nlohmann::json &value);

} // namespace tern

#endif // TERN_RUNTIME_MODEL_SAFETENSORS_H
