//===- Gguf.h - Memory-mapped GGUF reader ---------------------------------===//
//
// Reads GGUF files (versions 2 and 3, little-endian), the format of
// llama.cpp / ggml and bitnet.cpp, without copying them: the file is
// memory-mapped and metadata values and tensor data are views into it.
//
// Layout of a GGUF file:
//   "GGUF" magic (47 47 55 46), uint32 version, uint64 tensor_count,
//   uint64 metadata_kv_count;
//   metadata_kv_count x { gguf string key, uint32 value type, value };
//   tensor_count x { gguf string name, uint32 n_dims, n_dims x uint64 dims,
//                    uint32 ggml type, uint64 offset };
//   padding to a multiple of `general.alignment` (uint32, default 32);
//   the data section: tensor data at the given offsets (each a multiple of
//   the alignment) relative to its start.
// A gguf string is a uint64 byte length followed by the bytes (no NUL).
// An array value is a uint32 element type, a uint64 count, then the
// elements (nested arrays allowed). dims are in ggml order: dims[0] varies
// fastest (for a weight matrix [N, K] it is K, the input features).
//
// GgufFile::open validates the whole structure up front: every length,
// count and offset is checked against the file size with overflow-checked
// arithmetic, so that all later accesses through the API are in bounds.
// Any problem gives an error message that names the file, the key or tensor
// concerned, and what is wrong; nothing throws or aborts on bad input.
//
// Tensor types: the reader knows the byte size of F32, F16, BF16, Q8_0,
// I8/I16/I32/I64/F64, TQ1_0, TQ2_0 and bitnet.cpp's I2_S; other ggml types
// (Q4_K, Q6_K, ...) are recognised by name only (their data is not
// bounds-checked and the model loader rejects them). Ids 38 and 39 are
// bitnet.cpp's TL1 / TL2; 39 is also upstream ggml's MXFP4.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_MODEL_GGUF_H
#define TERN_RUNTIME_MODEL_GGUF_H

#include "runtime/model/MappedFile.h"
#include "runtime/model/OrError.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tern {

/// The four magic bytes every GGUF file starts with.
constexpr char kGgufMagic[4] = {'G', 'G', 'U', 'F'};
/// Alignment of the data section and of tensor offsets unless the file sets
/// `general.alignment`.
constexpr uint32_t kGgufDefaultAlignment = 32;
/// Sanity limits: more tensors or dimensions than this is a corrupt file.
constexpr uint64_t kGgufMaxTensors = 1000000;
constexpr uint32_t kGgufMaxDims = 4;
/// Deepest nesting of array values accepted (arrays of arrays of ...).
constexpr int kGgufMaxArrayDepth = 4;

/// GGUF metadata value types (the uint32 stored before each value).
enum class GgufValueType : uint32_t {
  Uint8 = 0,
  Int8 = 1,
  Uint16 = 2,
  Int16 = 3,
  Uint32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  Uint64 = 10,
  Int64 = 11,
  Float64 = 12,
};

/// "UINT8", "STRING", ...; "UNKNOWN" for ids outside the enum.
const char *ggufValueTypeName(GgufValueType type);

/// ggml tensor type ids that Tern names. Other ids may appear in files (the
/// enum is open: any uint32 converts); see ggmlTypeName.
enum class GgmlType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  I2_S = 36, ///< bitnet.cpp: 2-bit ternary, n/4 bytes + 32 (f32 scale first).
  I8_S = 37, ///< bitnet.cpp activations; never a weight in a file.
  TL1 = 38,  ///< bitnet.cpp lookup-table layout (ARM).
  TL2 = 39,  ///< bitnet.cpp lookup-table layout (x86) == upstream MXFP4.
};

/// Name of a ggml type id ("F16", "TQ2_0", "I2_S", "TL2/MXFP4"), or nullptr
/// when the id is unknown.
const char *ggmlTypeName(uint32_t typeId);

/// "Q6_K (type 14)" or "unknown type 99", for messages.
std::string ggmlTypeDescription(uint32_t typeId);

/// Block geometry of a ggml type: `blockSize` elements take `blockBytes`
/// bytes (1 and the element size for plain types). I2_S reports block 128 /
/// 32 bytes, but its tensors carry 32 extra bytes (see ggmlTensorBytes).
struct GgmlTypeSize {
  int64_t blockSize;
  int64_t blockBytes;
};

/// Size geometry of `typeId` when Tern knows it; nullopt for unknown ids
/// and types known by name only.
std::optional<GgmlTypeSize> ggmlTypeSize(uint32_t typeId);

/// Bytes of a tensor of type `typeId` with `dims` (ggml order, all > 0).
/// I2_S tensors take n/4 + 32 bytes (n elements, integer division), as in
/// bitnet.cpp. Fails (with a message that does not name the tensor) when the
/// size is unknown for the type, dims[0] is not a multiple of the type's
/// block, or the size overflows.
OrError<uint64_t> ggmlTensorBytes(uint32_t typeId,
                                  const std::vector<int64_t> &dims);

/// A metadata value: a view into the mapped file.
struct GgufValue {
  GgufValueType type = GgufValueType::Uint8;
  /// For arrays: the element type and the number of elements.
  GgufValueType elementType = GgufValueType::Uint8;
  uint64_t count = 0;
  /// Scalars: the value's bytes. Strings: the characters (not the length).
  /// Arrays: the first element (right after the count).
  const uint8_t *payload = nullptr;
  uint64_t payloadBytes = 0;
};

/// One metadata entry.
struct GgufKeyValue {
  std::string key;
  GgufValue value;
};

/// One tensor's header entry, resolved against the data section.
struct GgufTensorInfo {
  std::string name;
  /// ggml order: dims[0] varies fastest (columns / K).
  std::vector<int64_t> dims;
  uint32_t type = 0;
  /// Offset relative to the data section, and absolute within the file.
  uint64_t offset = 0;
  uint64_t fileOffset = 0;
  /// Product of dims.
  int64_t numElements = 0;
  /// Bytes of data; nullopt for types known by name only.
  std::optional<uint64_t> byteSize;
  /// Start of the data in the mapping (always within the file).
  const uint8_t *data = nullptr;
};

/// "[256, 512]" (ggml order, as stored).
std::string formatDims(const std::vector<int64_t> &dims);

/// Printable one-line summary of a value: scalars as numbers, strings
/// quoted (escaped, truncated past `maxChars`), arrays as
/// `[STRING x 300] ["a", "b", ...]` with at most `maxElements` shown.
std::string summarizeGgufValue(const GgufValue &value, size_t maxElements = 8,
                               size_t maxChars = 64);

class GgufFile;
using GgufFileOrError = OrError<GgufFile>;

/// A validated, memory-mapped GGUF file. Cheap to copy (the mapping is
/// shared); views stay valid while any copy or mapping() reference lives.
class GgufFile {
public:
  /// Maps and validates the file at `path`.
  static GgufFileOrError open(const std::string &path);
  /// Validates bytes already in memory; errors name `file->name()`.
  static GgufFileOrError parse(std::shared_ptr<const MappedFile> file);

  /// The path (or buffer name) used in messages.
  const std::string &path() const { return file_->name(); }
  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  /// Absolute file offset of the data section.
  uint64_t dataOffset() const { return dataOffset_; }
  const std::shared_ptr<const MappedFile> &mapping() const { return file_; }

  /// All metadata entries in file order.
  const std::vector<GgufKeyValue> &metadata() const { return metadata_; }
  /// The entry for `key`, or nullptr.
  const GgufKeyValue *findKey(std::string_view key) const;
  bool hasKey(std::string_view key) const { return findKey(key) != nullptr; }

  // Typed accessors. Each fails (naming the file and key) when the key is
  // missing or its value has the wrong type. Integer accessors accept any
  // integer type whose value fits the requested type; getF32/getF64 accept
  // FLOAT32 and FLOAT64 (getF32 fails if a FLOAT64 overflows float).
  OrError<uint32_t> getU32(std::string_view key) const;
  OrError<int32_t> getI32(std::string_view key) const;
  OrError<uint64_t> getU64(std::string_view key) const;
  OrError<int64_t> getI64(std::string_view key) const;
  OrError<float> getF32(std::string_view key) const;
  OrError<double> getF64(std::string_view key) const;
  OrError<bool> getBool(std::string_view key) const;
  OrError<std::string> getString(std::string_view key) const;
  /// Arrays: STRING elements; any integer elements fitting int32; FLOAT32 or
  /// FLOAT64 elements.
  OrError<std::vector<std::string>> getStringArray(std::string_view key) const;
  OrError<std::vector<int32_t>> getI32Array(std::string_view key) const;
  OrError<std::vector<float>> getF32Array(std::string_view key) const;

  /// All tensors in file order.
  const std::vector<GgufTensorInfo> &tensors() const { return tensors_; }
  /// The tensor called `name`, or nullptr.
  const GgufTensorInfo *findTensor(std::string_view name) const;

private:
  friend class GgufParser;
  GgufFile() = default;

  OrError<const GgufKeyValue *> lookup(std::string_view key) const;
  OrError<int64_t> integerValue(std::string_view key, int64_t lo,
                                int64_t hi) const;

  std::shared_ptr<const MappedFile> file_;
  uint32_t version_ = 0;
  uint32_t alignment_ = kGgufDefaultAlignment;
  uint64_t dataOffset_ = 0;
  std::vector<GgufKeyValue> metadata_;
  std::vector<GgufTensorInfo> tensors_;
  std::unordered_map<std::string, size_t> keyIndex_;
  std::unordered_map<std::string, size_t> tensorIndex_;
};

} // namespace tern

#endif // TERN_RUNTIME_MODEL_GGUF_H
