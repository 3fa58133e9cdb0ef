//===- MappedFile.h - Read-only bytes of a model file ---------------------===//
//
// A model file's bytes, either memory-mapped read-only (the normal case: a
// 1 GB model is not copied, and pages are read on first touch) or held in an
// owned buffer (tests, files produced in memory). Loaders keep a
// shared_ptr<const MappedFile> alive for as long as views into it exist.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_MODEL_MAPPEDFILE_H
#define TERN_RUNTIME_MODEL_MAPPEDFILE_H

#include "runtime/model/OrError.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tern {

class MappedFile;
using MappedFileOrError = OrError<std::shared_ptr<const MappedFile>>;

/// Immutable bytes with a name (the path, used in error messages).
class MappedFile {
public:
  /// Maps the regular file at `path` read-only. Errors (naming the path):
  /// missing, unreadable, a directory or other non-regular file.
  /// An empty file gives an empty MappedFile (nothing is mapped).
  static MappedFileOrError open(const std::string &path);

  /// Wraps an in-memory buffer; `name` stands in for the path in errors.
  static std::shared_ptr<const MappedFile>
  fromBuffer(std::vector<uint8_t> bytes, std::string name);

  /// The bytes [offset, offset + size) of `parent` as a file of their own
  /// (kept alive with it), e.g. a model appended to an executable. Null
  /// when the range is not inside the parent.
  static std::shared_ptr<const MappedFile>
  slice(std::shared_ptr<const MappedFile> parent, uint64_t offset,
        uint64_t size, std::string name);

  ~MappedFile();
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;

  const uint8_t *data() const { return data_; }
  uint64_t size() const { return size_; }
  /// The path (or the name given to fromBuffer).
  const std::string &name() const { return name_; }

  /// The file that holds `p` (a byte of this mapping or slice) and its
  /// offset there, for reading the bytes with read() instead of through
  /// the mapping. False for buffers and pointers outside the bytes.
  bool backingFile(const uint8_t *p, std::string &path,
                   uint64_t &offset) const;

private:
  MappedFile() = default;

  const uint8_t *data_ = nullptr;
  uint64_t size_ = 0;
  void *mapping_ = nullptr; // Non-null when mmap'ed.
  std::vector<uint8_t> buffer_;
  std::shared_ptr<const MappedFile> parent_; // For slices.
  std::string name_;
  std::string path_; // The mapped file's path; empty for buffers.
};

} // namespace tern

#endif // TERN_RUNTIME_MODEL_MAPPEDFILE_H
