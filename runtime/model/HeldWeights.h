//===- HeldWeights.h - How an executable holds its weights in memory ------===//
//
// Decode streams every weight once per token, so how the weights sit in
// memory sets its speed. Two ways:
//
// - Anonymous: read (pread, a few threads) into anonymous memory advised
//   for transparent huge pages. Streams at the machine's full bandwidth
//   whatever state the file's page cache is in; costs a read of the
//   weights at start-up and their size in private memory.
// - Mapped: the file mapping itself (llama.cpp's default). Starts at once
//   and shares pages between processes, but streams only as fast as the
//   page cache's folios allow: a file written by write() and not yet
//   evicted is cached in small folios and streamed measurably slower.
//
// The default (Anonymous) and the figures behind it are in
// docs/performance.md ("How the weights are held").
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_MODEL_HELDWEIGHTS_H
#define TERN_RUNTIME_MODEL_HELDWEIGHTS_H

#include "runtime/model/MappedFile.h"
#include "runtime/model/OrError.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace tern {

enum class WeightHolding { Anonymous, Mapped };

/// The default when neither --mmap nor --no-mmap is given.
constexpr WeightHolding kDefaultWeightHolding = WeightHolding::Anonymous;

/// --mmap (true) / --no-mmap (false) / neither: the holding to use.
inline WeightHolding weightHoldingFor(std::optional<bool> mmap) {
  if (!mmap)
    return kDefaultWeightHolding;
  return *mmap ? WeightHolding::Mapped : WeightHolding::Anonymous;
}

/// Weights as held: `data()` stays valid while this lives.
class HeldWeights {
public:
  /// The `size` bytes at `data` inside `file`, held as `how`. Anonymous:
  /// read from the file with `threads` readers (0: up to 8 hardware
  /// threads); an error names the file and what failed (out of memory, a
  /// short read). A `file` without a backing file (a buffer) is copied.
  static OrError<std::shared_ptr<const HeldWeights>>
  hold(std::shared_ptr<const MappedFile> file, const uint8_t *data,
       uint64_t size, WeightHolding how, int threads = 0);

  ~HeldWeights();
  HeldWeights(const HeldWeights &) = delete;
  HeldWeights &operator=(const HeldWeights &) = delete;

  const uint8_t *data() const { return data_; }
  uint64_t size() const { return size_; }
  WeightHolding how() const { return how_; }
  /// Seconds hold() took (the start-up cost of Anonymous).
  double seconds() const { return seconds_; }
  /// One line: how the weights are held, e.g. "anonymous memory, 2 MiB
  /// pages advised (read in 0.41 s; --mmap maps the file instead)".
  std::string describe() const;

private:
  HeldWeights() = default;

  const uint8_t *data_ = nullptr;
  uint64_t size_ = 0;
  WeightHolding how_ = WeightHolding::Mapped;
  double seconds_ = 0;
  void *region_ = nullptr; ///< the anonymous mapping, when Anonymous
  uint64_t regionBytes_ = 0;
  std::shared_ptr<const MappedFile> file_; ///< kept alive when Mapped
};

} // namespace tern

#endif // TERN_RUNTIME_MODEL_HELDWEIGHTS_H
