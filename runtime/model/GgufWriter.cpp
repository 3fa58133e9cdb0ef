//===- GgufWriter.cpp - Writes GGUF files ---------------------------------===//

#include "runtime/model/GgufWriter.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace tern {
namespace {

template <typename T> void put(std::vector<uint8_t> &out, T v) {
  const size_t at = out.size();
  out.resize(at + sizeof v);
  std::memcpy(out.data() + at, &v, sizeof v); // Little-endian host.
}

void putString(std::vector<uint8_t> &out, const std::string &s) {
  put<uint64_t>(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

template <typename T> std::vector<uint8_t> scalar(T v) {
  std::vector<uint8_t> out;
  put(out, v);
  return out;
}

uint64_t alignUp(uint64_t n, uint64_t a) { return (n + a - 1) / a * a; }

} // namespace

void GgufWriter::addEntry(const std::string &key, GgufValueType type,
                          std::vector<uint8_t> payload) {
  entries_.push_back({key, type, std::move(payload)});
}

void GgufWriter::setAlignment(uint32_t alignment) {
  alignment_ = alignment;
  for (Entry &e : entries_)
    if (e.key == "general.alignment") {
      e.type = GgufValueType::Uint32;
      e.payload = scalar(alignment);
      return;
    }
  addEntry("general.alignment", GgufValueType::Uint32, scalar(alignment));
}

void GgufWriter::addUint8(const std::string &k, uint8_t v) {
  addEntry(k, GgufValueType::Uint8, scalar(v));
}
void GgufWriter::addInt8(const std::string &k, int8_t v) {
  addEntry(k, GgufValueType::Int8, scalar(v));
}
void GgufWriter::addUint16(const std::string &k, uint16_t v) {
  addEntry(k, GgufValueType::Uint16, scalar(v));
}
void GgufWriter::addInt16(const std::string &k, int16_t v) {
  addEntry(k, GgufValueType::Int16, scalar(v));
}
void GgufWriter::addUint32(const std::string &k, uint32_t v) {
  addEntry(k, GgufValueType::Uint32, scalar(v));
}
void GgufWriter::addInt32(const std::string &k, int32_t v) {
  addEntry(k, GgufValueType::Int32, scalar(v));
}
void GgufWriter::addUint64(const std::string &k, uint64_t v) {
  addEntry(k, GgufValueType::Uint64, scalar(v));
}
void GgufWriter::addInt64(const std::string &k, int64_t v) {
  addEntry(k, GgufValueType::Int64, scalar(v));
}
void GgufWriter::addFloat32(const std::string &k, float v) {
  addEntry(k, GgufValueType::Float32, scalar(v));
}
void GgufWriter::addFloat64(const std::string &k, double v) {
  addEntry(k, GgufValueType::Float64, scalar(v));
}
void GgufWriter::addBool(const std::string &k, bool v) {
  addEntry(k, GgufValueType::Bool, scalar<uint8_t>(v ? 1 : 0));
}
void GgufWriter::addString(const std::string &k, const std::string &v) {
  std::vector<uint8_t> p;
  putString(p, v);
  addEntry(k, GgufValueType::String, std::move(p));
}

void GgufWriter::addStringArray(const std::string &k,
                                const std::vector<std::string> &v) {
  std::vector<uint8_t> p;
  put<uint32_t>(p, static_cast<uint32_t>(GgufValueType::String));
  put<uint64_t>(p, v.size());
  for (const std::string &s : v)
    putString(p, s);
  addEntry(k, GgufValueType::Array, std::move(p));
}

void GgufWriter::addInt32Array(const std::string &k,
                               const std::vector<int32_t> &v) {
  std::vector<uint8_t> p;
  put<uint32_t>(p, static_cast<uint32_t>(GgufValueType::Int32));
  put<uint64_t>(p, v.size());
  for (int32_t x : v)
    put(p, x);
  addEntry(k, GgufValueType::Array, std::move(p));
}

void GgufWriter::addFloat32Array(const std::string &k,
                                 const std::vector<float> &v) {
  std::vector<uint8_t> p;
  put<uint32_t>(p, static_cast<uint32_t>(GgufValueType::Float32));
  put<uint64_t>(p, v.size());
  for (float x : v)
    put(p, x);
  addEntry(k, GgufValueType::Array, std::move(p));
}

void GgufWriter::addRaw(const std::string &k, GgufValueType type,
                        std::vector<uint8_t> payload) {
  addEntry(k, type, std::move(payload));
}

void GgufWriter::addTensor(const std::string &name,
                           const std::vector<int64_t> &dims, uint32_t type,
                           std::vector<uint8_t> bytes) {
  const uint64_t size = bytes.size();
  tensors_.push_back({name, dims, type, std::move(bytes), size, nullptr});
}

void GgufWriter::addTensorDeferred(const std::string &name,
                                   const std::vector<int64_t> &dims,
                                   GgmlType type, uint64_t size,
                                   std::function<void(uint8_t *dst)> fill) {
  tensors_.push_back(
      {name, dims, static_cast<uint32_t>(type), {}, size, std::move(fill)});
}

std::vector<uint8_t> GgufWriter::serializeHeader() const {
  std::vector<uint8_t> out(kGgufMagic, kGgufMagic + 4);
  put<uint32_t>(out, version_);
  put<uint64_t>(out, tensors_.size());
  put<uint64_t>(out, entries_.size());
  for (const Entry &e : entries_) {
    putString(out, e.key);
    put<uint32_t>(out, static_cast<uint32_t>(e.type));
    out.insert(out.end(), e.payload.begin(), e.payload.end());
  }
  const uint64_t align = alignment_ ? alignment_ : 1;
  uint64_t offset = 0;
  for (const Tensor &t : tensors_) {
    putString(out, t.name);
    put<uint32_t>(out, static_cast<uint32_t>(t.dims.size()));
    for (int64_t d : t.dims)
      put<uint64_t>(out, static_cast<uint64_t>(d));
    put<uint32_t>(out, t.type);
    put<uint64_t>(out, offset);
    offset = alignUp(offset + t.size, align);
  }
  out.resize(alignUp(out.size(), align), 0);
  return out;
}

std::vector<uint8_t> GgufWriter::serialize() const {
  std::vector<uint8_t> out = serializeHeader();
  const uint64_t align = alignment_ ? alignment_ : 1;
  for (const Tensor &t : tensors_) {
    if (t.fill) {
      const size_t at = out.size();
      out.resize(at + t.size);
      t.fill(out.data() + at);
    } else {
      out.insert(out.end(), t.bytes.begin(), t.bytes.end());
    }
    out.resize(alignUp(out.size(), align), 0);
  }
  return out;
}

std::string GgufWriter::writeFile(const std::string &path) const {
  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    return path + ": cannot create: " + std::strerror(errno);
  const uint64_t align = alignment_ ? alignment_ : 1;
  bool ok = true;
  auto write = [&](const uint8_t *p, size_t n) {
    if (ok && n && std::fwrite(p, 1, n, f) != n)
      ok = false;
  };
  const std::vector<uint8_t> header = serializeHeader();
  write(header.data(), header.size());
  const std::vector<uint8_t> zeros(align, 0);
  std::vector<uint8_t> buffer;
  for (const Tensor &t : tensors_) {
    if (t.fill) {
      buffer.assign(t.size, 0);
      t.fill(buffer.data());
      write(buffer.data(), buffer.size());
    } else {
      write(t.bytes.data(), t.bytes.size());
    }
    write(zeros.data(), alignUp(t.size, align) - t.size);
  }
  const int err = ok ? 0 : errno;
  if (std::fclose(f) != 0 && ok)
    return path + ": write failed: " + std::strerror(errno);
  if (!ok)
    return path + ": write failed: " + std::strerror(err);
  return {};
}

} // namespace tern
