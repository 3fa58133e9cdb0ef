//===- FuzzInput.h - Fuzz inputs for readers that take a path -------------===//
//
// Several readers open a file by name (config.json, tokenizer.json,
// tiktoken files, executables' payloads): the fuzz targets write each input
// to one file per process and pass its path.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_FUZZ_FUZZINPUT_H
#define TERN_FUZZ_FUZZINPUT_H

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace tern::fuzz {

/// Writes `data` to this process's file called `name` (in $TMPDIR or
/// /tmp) and returns its path. Aborts if the file cannot be written: the
/// fuzzer would otherwise test nothing.
inline std::string writeInput(const char *name, const uint8_t *data,
                              size_t size) {
  const char *dir = std::getenv("TMPDIR");
  const std::string path = std::string(dir && *dir ? dir : "/tmp") +
                           "/tern-fuzz-" + std::to_string(::getpid()) + "-" +
                           name;
  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (!f || (size && std::fwrite(data, 1, size, f) != size) ||
      std::fclose(f) != 0)
    std::abort();
  return path;
}

} // namespace tern::fuzz

#endif // TERN_FUZZ_FUZZINPUT_H
