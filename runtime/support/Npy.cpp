//===- Npy.cpp - Writes NumPy .npy files ----------------------------------===//

#include "runtime/support/Npy.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace tern {

std::string npyFloat32Header(const std::vector<int64_t> &shape) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i)
    dict += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? "," : "") +
            (i + 1 < shape.size() ? " " : "");
  dict += "), }";
  // magic(6) + version(2) + header length(2) + dict + '\n', padded to 64.
  size_t total = 10 + dict.size() + 1;
  size_t padded = (total + 63) / 64 * 64;
  dict.append(padded - total, ' ');
  dict += '\n';
  std::string header("\x93NUMPY\x01\x00", 8);
  const uint16_t len = static_cast<uint16_t>(dict.size());
  header += static_cast<char>(len & 0xff);
  header += static_cast<char>(len >> 8);
  return header + dict;
}

std::string writeNpyFloat32(const std::string &path,
                            const std::vector<int64_t> &shape,
                            const float *data) {
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    return path + ": cannot open for writing: " + std::strerror(errno);
  const std::string header = npyFloat32Header(shape);
  bool ok = std::fwrite(header.data(), 1, header.size(), f) == header.size();
  // The data are written as the host stores them: Tern's targets
  // (x86-64, AArch64) are little-endian, as "<f4" says.
  if (ok && count > 0)
    ok = std::fwrite(data, sizeof(float), static_cast<size_t>(count), f) ==
         static_cast<size_t>(count);
  ok = (std::fclose(f) == 0) && ok;
  if (!ok)
    return path + ": write failed: " + std::strerror(errno);
  return "";
}

} // namespace tern
