//===- GgufWriter.h - Writes GGUF files -----------------------------------===//
//
// Builds a GGUF file (version 3 by default) from metadata entries and tensor
// data, for synthetic test models and conversion tools. See Gguf.h for the
// format. Entries are written in the order they were added; tensor data is
// laid out in order, each tensor at the next multiple of the alignment.
//
// The writer does not validate: it writes duplicate keys, unknown types or
// data of the wrong size if asked to (tests use that to produce malformed
// files). GgufFile is the validator.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_MODEL_GGUFWRITER_H
#define TERN_RUNTIME_MODEL_GGUFWRITER_H

#include "runtime/model/Gguf.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tern {

/// Accumulates metadata and tensors, then serializes them as GGUF.
class GgufWriter {
public:
  explicit GgufWriter(uint32_t version = 3) : version_(version) {}

  /// Sets the data alignment and records it as `general.alignment` (UINT32).
  /// Without a call the alignment is 32 and the key is not written.
  void setAlignment(uint32_t alignment);

  // Scalar metadata.
  void addUint8(const std::string &key, uint8_t v);
  void addInt8(const std::string &key, int8_t v);
  void addUint16(const std::string &key, uint16_t v);
  void addInt16(const std::string &key, int16_t v);
  void addUint32(const std::string &key, uint32_t v);
  void addInt32(const std::string &key, int32_t v);
  void addUint64(const std::string &key, uint64_t v);
  void addInt64(const std::string &key, int64_t v);
  void addFloat32(const std::string &key, float v);
  void addFloat64(const std::string &key, double v);
  void addBool(const std::string &key, bool v);
  void addString(const std::string &key, const std::string &v);

  // Array metadata.
  void addStringArray(const std::string &key,
                      const std::vector<std::string> &v);
  void addInt32Array(const std::string &key, const std::vector<int32_t> &v);
  void addFloat32Array(const std::string &key, const std::vector<float> &v);

  /// Adds an entry with the raw bytes that follow the value type field
  /// (for ARRAY: element type, count and elements).
  void addRaw(const std::string &key, GgufValueType type,
              std::vector<uint8_t> payload);

  /// Adds a tensor. `dims` are in ggml order (dims[0] fastest); `bytes` is
  /// its data as stored (its size is not checked against the type).
  void addTensor(const std::string &name, const std::vector<int64_t> &dims,
                 uint32_t type, std::vector<uint8_t> bytes);
  void addTensor(const std::string &name, const std::vector<int64_t> &dims,
                 GgmlType type, std::vector<uint8_t> bytes) {
    addTensor(name, dims, static_cast<uint32_t>(type), std::move(bytes));
  }

  /// Adds a tensor of `size` bytes whose data `fill(dst)` writes when the
  /// file is written (so huge models are produced one tensor at a time).
  void addTensorDeferred(const std::string &name,
                         const std::vector<int64_t> &dims, GgmlType type,
                         uint64_t size,
                         std::function<void(uint8_t *dst)> fill);

  /// The complete file.
  std::vector<uint8_t> serialize() const;

  /// Writes the file; returns an error message naming `path`, or "".
  std::string writeFile(const std::string &path) const;

private:
  struct Entry {
    std::string key;
    GgufValueType type;
    std::vector<uint8_t> payload;
  };
  struct Tensor {
    std::string name;
    std::vector<int64_t> dims;
    uint32_t type;
    std::vector<uint8_t> bytes;
    uint64_t size = 0; // == bytes.size() unless deferred
    std::function<void(uint8_t *)> fill;
  };

  void addEntry(const std::string &key, GgufValueType type,
                std::vector<uint8_t> payload);
  /// Header, metadata, tensor infos and padding up to the data section.
  std::vector<uint8_t> serializeHeader() const;

  uint32_t version_;
  uint32_t alignment_ = kGgufDefaultAlignment;
  std::vector<Entry> entries_;
  std::vector<Tensor> tensors_;
};

} // namespace tern

#endif // TERN_RUNTIME_MODEL_GGUFWRITER_H
