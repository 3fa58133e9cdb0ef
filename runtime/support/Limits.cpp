//===- Limits.cpp - Sizes checked against the machine ---------------------===//

#include "runtime/support/Limits.h"

#include <unistd.h>

#include <climits>
#include <cstdio>

namespace tern {

std::optional<int64_t> checkedProduct(std::initializer_list<int64_t> factors) {
  int64_t p = 1;
  for (int64_t f : factors) {
    if (f < 0 || __builtin_mul_overflow(p, f, &p))
      return std::nullopt;
  }
  return p;
}

int64_t saturatingAdd(int64_t a, int64_t b) {
  int64_t s;
  return __builtin_add_overflow(a, b, &s) ? INT64_MAX : s;
}

uint64_t physicalMemoryBytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0)
    return 0;
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page);
}

std::string formatBytes(double bytes) {
  char buf[48];
  if (bytes >= 1024.0 * 1024 * 1024 * 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.3g PiB",
                  bytes / (1024.0 * 1024 * 1024 * 1024 * 1024));
  else if (bytes >= 1024.0 * 1024 * 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.2f TiB",
                  bytes / (1024.0 * 1024 * 1024 * 1024));
  else if (bytes >= 1024.0 * 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
  else if (bytes >= 1024.0 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1024.0 * 1024));
  else
    std::snprintf(buf, sizeof buf, "%.0f bytes", bytes);
  return buf;
}

std::string checkFitsInMemory(const std::string &what,
                              std::optional<int64_t> bytes) {
  if (!bytes)
    return what + " would need more than 2^63 bytes";
  const uint64_t memory = physicalMemoryBytes();
  if (memory == 0 || static_cast<uint64_t>(*bytes) <= memory)
    return "";
  return what + " would need " + formatBytes(static_cast<double>(*bytes)) +
         ", more than this machine's " +
         formatBytes(static_cast<double>(memory)) + " of memory";
}

} // namespace tern
