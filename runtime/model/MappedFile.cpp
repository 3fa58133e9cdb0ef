//===- MappedFile.cpp - Read-only bytes of a model file -------------------===//

#include "runtime/model/MappedFile.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tern {

MappedFileOrError MappedFile::open(const std::string &path) {
  auto fail = [&](const std::string &what) {
    return MappedFileOrError::failure(path + ": " + what);
  };
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is rejected
  // below as not a regular file); it has no effect on a regular file.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT)
      return fail("file not found");
    return fail(std::string("cannot open: ") + std::strerror(err));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return fail(std::string("cannot stat: ") + std::strerror(err));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return fail("is a directory, not a file");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail("is not a regular file");
  }
  std::shared_ptr<MappedFile> file(new MappedFile());
  file->name_ = path;
  file->path_ = path;
  file->size_ = static_cast<uint64_t>(st.st_size);
  if (file->size_ > 0) {
    if (file->size_ > static_cast<uint64_t>(SIZE_MAX)) {
      ::close(fd);
      return fail("file too large to map");
    }
    void *p = ::mmap(nullptr, static_cast<size_t>(file->size_), PROT_READ,
                     MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      // A directory-like object that slipped through, or out of address
      // space: report rather than fall back to copying a huge file.
      return fail(std::string("cannot memory-map: ") + std::strerror(err));
    }
    file->mapping_ = p;
    file->data_ = static_cast<const uint8_t *>(p);
  }
  ::close(fd); // The mapping stays valid after close.
  return MappedFileOrError(std::shared_ptr<const MappedFile>(std::move(file)));
}

std::shared_ptr<const MappedFile>
MappedFile::fromBuffer(std::vector<uint8_t> bytes, std::string name) {
  std::shared_ptr<MappedFile> file(new MappedFile());
  file->buffer_ = std::move(bytes);
  file->data_ = file->buffer_.data();
  file->size_ = file->buffer_.size();
  file->name_ = std::move(name);
  return file;
}

std::shared_ptr<const MappedFile>
MappedFile::slice(std::shared_ptr<const MappedFile> parent, uint64_t offset,
                  uint64_t size, std::string name) {
  if (!parent || offset > parent->size() || size > parent->size() - offset)
    return nullptr;
  std::shared_ptr<MappedFile> file(new MappedFile());
  file->data_ = parent->data() + offset;
  file->size_ = size;
  file->parent_ = std::move(parent);
  file->name_ = std::move(name);
  return file;
}

bool MappedFile::backingFile(const uint8_t *p, std::string &path,
                             uint64_t &offset) const {
  if (!data_ || p < data_ || p >= data_ + size_)
    return false;
  if (parent_)
    return parent_->backingFile(p, path, offset);
  if (!mapping_)
    return false;
  path = path_;
  offset = static_cast<uint64_t>(p - data_);
  return true;
}

MappedFile::~MappedFile() {
  if (mapping_)
    ::munmap(mapping_, static_cast<size_t>(size_));
}

} // namespace tern
