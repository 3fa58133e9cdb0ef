//===- Limits.h - Sizes checked against the machine -----------------------===//
//
// Every size that comes from a command line or a file is checked before
// memory is allocated for it: products in 64 bits without overflow, and
// totals against the machine's physical memory, so that an absurd size is
// an error naming it and the memory it would need, not a crash.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_SUPPORT_LIMITS_H
#define TERN_RUNTIME_SUPPORT_LIMITS_H

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

namespace tern {

/// The product of non-negative factors; nullopt when one is negative or the
/// product does not fit in int64.
std::optional<int64_t> checkedProduct(std::initializer_list<int64_t> factors);

/// a + b for non-negative a, b, saturating at INT64_MAX.
int64_t saturatingAdd(int64_t a, int64_t b);

/// This machine's physical memory in bytes (0 when it cannot be read).
uint64_t physicalMemoryBytes();

/// "1.50 GiB", "12.0 MiB", "512 bytes".
std::string formatBytes(double bytes);

/// "" when an allocation of `bytes` can fit in this machine's memory;
/// otherwise "<what> would need <bytes>, more than this machine's <memory>
/// of memory". `bytes` nullopt (an overflowing product) is always refused.
std::string checkFitsInMemory(const std::string &what,
                              std::optional<int64_t> bytes);

} // namespace tern

#endif // TERN_RUNTIME_SUPPORT_LIMITS_H
