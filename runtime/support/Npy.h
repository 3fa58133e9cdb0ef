//===- Npy.h - Reads and writes NumPy .npy files --------------------------===//
//
// Version 1.0 .npy files of little-endian float32 ("<f4"), C order, so that
// any outside tool (numpy.load) can read what Tern computed, e.g. the
// logits of every evaluated position; and the reader `tern compare-logits`
// uses (versions 1-3, "<f4", C order).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_SUPPORT_NPY_H
#define TERN_RUNTIME_SUPPORT_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace tern {

/// The header (magic, version, length, dict, padding to 64 bytes) of a
/// float32 array of `shape`.
std::string npyFloat32Header(const std::vector<int64_t> &shape);

/// Writes `data` (product of `shape` values) to `path`; returns "" or an
/// error naming the file.
std::string writeNpyFloat32(const std::string &path,
                            const std::vector<int64_t> &shape,
                            const float *data);

/// Reads a float32 C-order array from `path` into `shape` and `data`;
/// returns "" or an error naming the file and what is wrong.
std::string readNpyFloat32(const std::string &path, std::vector<int64_t> &shape,
                           std::vector<float> &data);

} // namespace tern

#endif // TERN_RUNTIME_SUPPORT_NPY_H
