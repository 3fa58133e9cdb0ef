//===- HeldWeights.cpp - How an executable holds its weights in memory ----===//

#include "runtime/model/HeldWeights.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace tern {

namespace {

constexpr uint64_t kHugePage = uint64_t(2) << 20;

/// Reads [offset, offset + size) of `fd` into `dst`; "" or what went wrong.
std::string readRange(int fd, uint8_t *dst, uint64_t offset, uint64_t size) {
  constexpr uint64_t kChunk = uint64_t(8) << 20;
  while (size > 0) {
    const size_t want = static_cast<size_t>(std::min(size, kChunk));
    const ssize_t got = ::pread(fd, dst, want, static_cast<off_t>(offset));
    if (got < 0) {
      if (errno == EINTR)
        continue;
      return std::string("read failed at byte ") + std::to_string(offset) +
             ": " + std::strerror(errno);
    }
    if (got == 0)
      return "the file ends at byte " + std::to_string(offset) +
             ", before the weights do (truncated since it was opened?)";
    dst += got;
    offset += static_cast<uint64_t>(got);
    size -= static_cast<uint64_t>(got);
  }
  return "";
}

/// Reads the range with `threads` readers, each a contiguous share.
std::string readParallel(const std::string &path, uint8_t *dst,
                         uint64_t offset, uint64_t size, int threads) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return std::string("cannot open to read the weights: ") +
           std::strerror(errno);
  const uint64_t n = std::max<uint64_t>(
      1, std::min<uint64_t>(static_cast<uint64_t>(threads),
                            size / (uint64_t(16) << 20) + 1));
  // Shares in whole huge pages, so that no two readers fault one page.
  const uint64_t share = (size / n + kHugePage - 1) / kHugePage * kHugePage;
  std::vector<std::string> errors(static_cast<size_t>(n));
  std::vector<std::thread> readers;
  for (uint64_t i = 1; i < n; ++i)
    readers.emplace_back([&, i] {
      const uint64_t b = std::min(size, i * share);
      errors[i] = readRange(fd, dst + b, offset + b,
                            std::min(size, b + share) - b);
    });
  errors[0] = readRange(fd, dst, offset, std::min(size, share));
  for (std::thread &t : readers)
    t.join();
  ::close(fd);
  for (const std::string &e : errors)
    if (!e.empty())
      return e;
  return "";
}

std::string sizeText(uint64_t bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f GB", static_cast<double>(bytes) / 1e9);
  return buf;
}

} // namespace

OrError<std::shared_ptr<const HeldWeights>>
HeldWeights::hold(std::shared_ptr<const MappedFile> file, const uint8_t *data,
                  uint64_t size, WeightHolding how, int threads) {
  using R = OrError<std::shared_ptr<const HeldWeights>>;
  const auto t0 = std::chrono::steady_clock::now();
  std::shared_ptr<HeldWeights> h(new HeldWeights());
  h->size_ = size;
  h->how_ = how;
  if (how == WeightHolding::Mapped || size == 0) {
    h->data_ = data;
    h->file_ = std::move(file);
    return R(std::shared_ptr<const HeldWeights>(std::move(h)));
  }
  const std::string where = file ? file->name() : std::string("weights");
  // One huge page of slack to align the start to a huge page.
  const uint64_t bytes = (size + kHugePage - 1) / kHugePage * kHugePage;
  void *region = ::mmap(nullptr, static_cast<size_t>(bytes + kHugePage),
                        PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                        -1, 0);
  if (region == MAP_FAILED)
    return R::failure(where + ": cannot hold " + sizeText(size) +
                      " of weights in memory (" + std::strerror(errno) +
                      "); --mmap maps them from the file instead");
  h->region_ = region;
  h->regionBytes_ = bytes + kHugePage;
  uint8_t *dst = reinterpret_cast<uint8_t *>(
      (reinterpret_cast<uintptr_t>(region) + kHugePage - 1) & ~(kHugePage - 1));
  // Advice only: without transparent huge pages the copy still streams
  // faster than a page cache of small folios.
  (void)::madvise(dst, static_cast<size_t>(bytes), MADV_HUGEPAGE);
  if (threads <= 0)
    threads = static_cast<int>(
        std::min(8u, std::max(1u, std::thread::hardware_concurrency())));
  std::string path;
  uint64_t offset = 0;
  if (file && file->backingFile(data, path, offset)) {
    if (std::string e = readParallel(path, dst, offset, size, threads);
        !e.empty())
      return R::failure(path + ": " + e);
  } else {
    std::memcpy(dst, data, static_cast<size_t>(size));
  }
  // Read-only from here on, as the mapping was.
  (void)::mprotect(dst, static_cast<size_t>(bytes), PROT_READ);
  h->data_ = dst;
  h->seconds_ = std::chrono::duration<double>(
                    std::chrono::steady_clock::now() - t0)
                    .count();
  return R(std::shared_ptr<const HeldWeights>(std::move(h)));
}

HeldWeights::~HeldWeights() {
  if (region_)
    ::munmap(region_, static_cast<size_t>(regionBytes_));
}

std::string HeldWeights::describe() const {
  char buf[200];
  if (how_ == WeightHolding::Anonymous)
    std::snprintf(buf, sizeof buf,
                  "anonymous memory, 2 MiB pages advised (%s read in %.2f s; "
                  "--mmap maps the file instead)",
                  sizeText(size_).c_str(), seconds_);
  else
    std::snprintf(buf, sizeof buf,
                  "the file's mapping (%s, read on first use; --no-mmap "
                  "reads them into anonymous memory instead)",
                  sizeText(size_).c_str());
  return buf;
}

} // namespace tern
