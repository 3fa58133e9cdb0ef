//===- Npy.cpp - Writes NumPy .npy files ----------------------------------===//

#include "runtime/support/Npy.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

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

std::string readNpyFloat32(const std::string &path, std::vector<int64_t> &shape,
                           std::vector<float> &data) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return path + ": cannot open: " + std::strerror(errno);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  auto bad = [&](const std::string &why) { return path + ": " + why; };
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    return bad("not a .npy file (no \\x93NUMPY magic)");
  const unsigned major = static_cast<unsigned char>(bytes[6]);
  size_t headerLen = 0, dictAt = 0;
  auto byteAt = [&](size_t i) {
    return static_cast<size_t>(static_cast<unsigned char>(bytes[i]));
  };
  if (major == 1) {
    headerLen = byteAt(8) | byteAt(9) << 8;
    dictAt = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return bad("truncated header");
    headerLen = byteAt(8) | byteAt(9) << 8 | byteAt(10) << 16 |
                byteAt(11) << 24;
    dictAt = 12;
  } else {
    return bad("unsupported .npy version " + std::to_string(major));
  }
  if (dictAt + headerLen > bytes.size())
    return bad("truncated header");
  const std::string dict = bytes.substr(dictAt, headerLen);
  if (dict.find("'descr': '<f4'") == std::string::npos)
    return bad("not little-endian float32 ('<f4') data");
  if (dict.find("'fortran_order': False") == std::string::npos)
    return bad("Fortran-order arrays are not supported");
  const size_t open = dict.find("'shape': (");
  const size_t close = open == std::string::npos ? open : dict.find(')', open);
  if (close == std::string::npos)
    return bad("no shape in the header");
  shape.clear();
  uint64_t count = 1;
  const std::string dims = dict.substr(open + 10, close - open - 10);
  size_t i = 0;
  while (i < dims.size()) {
    while (i < dims.size() && (dims[i] == ' ' || dims[i] == ','))
      ++i;
    if (i == dims.size())
      break;
    if (dims[i] < '0' || dims[i] > '9')
      return bad("malformed shape '(" + dims + ")'");
    uint64_t d = 0;
    for (; i < dims.size() && dims[i] >= '0' && dims[i] <= '9'; ++i) {
      d = d * 10 + static_cast<uint64_t>(dims[i] - '0');
      if (d > (uint64_t(1) << 40))
        return bad("absurd dimension in shape '(" + dims + ")'");
    }
    count *= d;
    if (count > (uint64_t(1) << 40))
      return bad("absurd shape '(" + dims + ")'");
    shape.push_back(static_cast<int64_t>(d));
  }
  const size_t dataAt = dictAt + headerLen;
  if (bytes.size() - dataAt != count * sizeof(float))
    return bad("holds " + std::to_string(bytes.size() - dataAt) +
               " data bytes, its shape needs " +
               std::to_string(count * sizeof(float)));
  data.resize(static_cast<size_t>(count));
  if (count)
    std::memcpy(data.data(), bytes.data() + dataAt, count * sizeof(float));
  return "";
}

} // namespace tern
