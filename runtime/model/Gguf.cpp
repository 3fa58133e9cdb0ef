//===- Gguf.cpp - Memory-mapped GGUF reader -------------------------------===//
//
// The parser walks the file once, front to back, with a cursor that can only
// move forward after a bounds check ("need N bytes"). Counts and lengths read
// from the file are compared against the bytes left before anything is
// allocated or skipped, so a corrupt count can neither exhaust memory nor
// make the walk run long: every step of the walk consumes at least one byte.
//
//===----------------------------------------------------------------------===//

#include "runtime/model/Gguf.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <type_traits>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "The GGUF reader assumes a little-endian host (as GGUF files are)."
#endif

namespace tern {
namespace {

template <typename T> T load(const uint8_t *p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

bool isKnownValueType(uint32_t t) { return t <= 12; }

/// Bytes of one value of a fixed-size type; 0 for STRING and ARRAY.
uint64_t fixedValueSize(GgufValueType t) {
  switch (t) {
  case GgufValueType::Uint8:
  case GgufValueType::Int8:
  case GgufValueType::Bool:
    return 1;
  case GgufValueType::Uint16:
  case GgufValueType::Int16:
    return 2;
  case GgufValueType::Uint32:
  case GgufValueType::Int32:
  case GgufValueType::Float32:
    return 4;
  case GgufValueType::Uint64:
  case GgufValueType::Int64:
  case GgufValueType::Float64:
    return 8;
  case GgufValueType::String:
  case GgufValueType::Array:
    return 0;
  }
  return 0;
}

bool isIntegerType(GgufValueType t) {
  switch (t) {
  case GgufValueType::Uint8:
  case GgufValueType::Int8:
  case GgufValueType::Uint16:
  case GgufValueType::Int16:
  case GgufValueType::Uint32:
  case GgufValueType::Int32:
  case GgufValueType::Uint64:
  case GgufValueType::Int64:
    return true;
  default:
    return false;
  }
}

/// An integer read from the file, signed or unsigned as stored.
struct RawInteger {
  bool isSigned = false;
  int64_t s = 0;
  uint64_t u = 0;
};

/// Reads an integer element of type `t` (isIntegerType(t)) at `p`.
RawInteger readInteger(GgufValueType t, const uint8_t *p) {
  RawInteger r;
  switch (t) {
  case GgufValueType::Uint8:
    r.u = load<uint8_t>(p);
    break;
  case GgufValueType::Uint16:
    r.u = load<uint16_t>(p);
    break;
  case GgufValueType::Uint32:
    r.u = load<uint32_t>(p);
    break;
  case GgufValueType::Uint64:
    r.u = load<uint64_t>(p);
    break;
  case GgufValueType::Int8:
    r.isSigned = true, r.s = load<int8_t>(p);
    break;
  case GgufValueType::Int16:
    r.isSigned = true, r.s = load<int16_t>(p);
    break;
  case GgufValueType::Int32:
    r.isSigned = true, r.s = load<int32_t>(p);
    break;
  case GgufValueType::Int64:
    r.isSigned = true, r.s = load<int64_t>(p);
    break;
  default:
    break;
  }
  return r;
}

std::string rawIntegerString(const RawInteger &r) {
  return r.isSigned ? std::to_string(r.s) : std::to_string(r.u);
}

/// Converts `r` to T when it fits.
template <typename T> std::optional<T> fitInteger(const RawInteger &r) {
  using L = std::numeric_limits<T>;
  if (r.isSigned) {
    if (r.s < 0) {
      if constexpr (std::is_unsigned_v<T>)
        return std::nullopt;
      else if (r.s < static_cast<int64_t>(L::min()))
        return std::nullopt;
    } else if (static_cast<uint64_t>(r.s) > static_cast<uint64_t>(L::max())) {
      return std::nullopt;
    }
    return static_cast<T>(r.s);
  }
  if (r.u > static_cast<uint64_t>(L::max()))
    return std::nullopt;
  return static_cast<T>(r.u);
}

/// Renders bytes for a message: printable ASCII as is, the rest as \xNN,
/// cut after `maxChars` input bytes with "...".
std::string escapeForMessage(std::string_view s, size_t maxChars) {
  std::string out;
  const size_t n = s.size() < maxChars ? s.size() : maxChars;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    }
  }
  if (s.size() > maxChars)
    out += "...";
  return out;
}

std::string formatFloat(double v, int digits) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

/// Renders one scalar (non-string, non-array) value.
std::string scalarToString(GgufValueType t, const uint8_t *p) {
  if (isIntegerType(t))
    return rawIntegerString(readInteger(t, p));
  switch (t) {
  case GgufValueType::Float32:
    return formatFloat(load<float>(p), 9);
  case GgufValueType::Float64:
    return formatFloat(load<double>(p), 17);
  case GgufValueType::Bool:
    return load<uint8_t>(p) ? "true" : "false";
  default:
    return "?";
  }
}

/// Bytes an already validated value of type `t` occupies at `p` (for
/// STRING: length prefix included; for ARRAY: type and count included).
/// Only used on bytes the parser has checked, but still bounded by `end`.
uint64_t validatedValueBytes(GgufValueType t, const uint8_t *p,
                             const uint8_t *end) {
  if (uint64_t fixed = fixedValueSize(t))
    return fixed;
  const uint64_t avail = static_cast<uint64_t>(end - p);
  if (t == GgufValueType::String) {
    if (avail < 8)
      return avail;
    const uint64_t len = load<uint64_t>(p);
    return len > avail - 8 ? avail : 8 + len;
  }
  // Array.
  if (avail < 12)
    return avail;
  const auto et = static_cast<GgufValueType>(load<uint32_t>(p));
  const uint64_t count = load<uint64_t>(p + 4);
  uint64_t used = 12;
  if (uint64_t fixed = fixedValueSize(et))
    return count > (avail - used) / fixed ? avail : used + count * fixed;
  for (uint64_t i = 0; i < count && used < avail; ++i)
    used += validatedValueBytes(et, p + used, end);
  return used < avail ? used : avail;
}

} // namespace

//===----------------------------------------------------------------------===//
// Type names and sizes
//===----------------------------------------------------------------------===//

const char *ggufValueTypeName(GgufValueType type) {
  switch (type) {
  case GgufValueType::Uint8:
    return "UINT8";
  case GgufValueType::Int8:
    return "INT8";
  case GgufValueType::Uint16:
    return "UINT16";
  case GgufValueType::Int16:
    return "INT16";
  case GgufValueType::Uint32:
    return "UINT32";
  case GgufValueType::Int32:
    return "INT32";
  case GgufValueType::Float32:
    return "FLOAT32";
  case GgufValueType::Bool:
    return "BOOL";
  case GgufValueType::String:
    return "STRING";
  case GgufValueType::Array:
    return "ARRAY";
  case GgufValueType::Uint64:
    return "UINT64";
  case GgufValueType::Int64:
    return "INT64";
  case GgufValueType::Float64:
    return "FLOAT64";
  }
  return "UNKNOWN";
}

const char *ggmlTypeName(uint32_t typeId) {
  switch (typeId) {
  case 0:
    return "F32";
  case 1:
    return "F16";
  case 2:
    return "Q4_0";
  case 3:
    return "Q4_1";
  case 6:
    return "Q5_0";
  case 7:
    return "Q5_1";
  case 8:
    return "Q8_0";
  case 9:
    return "Q8_1";
  case 10:
    return "Q2_K";
  case 11:
    return "Q3_K";
  case 12:
    return "Q4_K";
  case 13:
    return "Q5_K";
  case 14:
    return "Q6_K";
  case 15:
    return "Q8_K";
  case 16:
    return "IQ2_XXS";
  case 17:
    return "IQ2_XS";
  case 18:
    return "IQ3_XXS";
  case 19:
    return "IQ1_S";
  case 20:
    return "IQ4_NL";
  case 21:
    return "IQ3_S";
  case 22:
    return "IQ2_S";
  case 23:
    return "IQ4_XS";
  case 24:
    return "I8";
  case 25:
    return "I16";
  case 26:
    return "I32";
  case 27:
    return "I64";
  case 28:
    return "F64";
  case 29:
    return "IQ1_M";
  case 30:
    return "BF16";
  case 31:
    return "Q4_0_4_4";
  case 32:
    return "Q4_0_4_8";
  case 33:
    return "Q4_0_8_8";
  case 34:
    return "TQ1_0";
  case 35:
    return "TQ2_0";
  case 36:
    return "I2_S";
  case 37:
    return "I8_S";
  case 38:
    return "TL1";
  case 39:
    return "TL2/MXFP4";
  default:
    return nullptr;
  }
}

std::string ggmlTypeDescription(uint32_t typeId) {
  if (const char *name = ggmlTypeName(typeId))
    return std::string(name) + " (type " + std::to_string(typeId) + ")";
  return "unknown type " + std::to_string(typeId);
}

std::optional<GgmlTypeSize> ggmlTypeSize(uint32_t typeId) {
  switch (static_cast<GgmlType>(typeId)) {
  case GgmlType::F32:
  case GgmlType::I32:
    return GgmlTypeSize{1, 4};
  case GgmlType::F16:
  case GgmlType::BF16:
  case GgmlType::I16:
    return GgmlTypeSize{1, 2};
  case GgmlType::I8:
    return GgmlTypeSize{1, 1};
  case GgmlType::I64:
  case GgmlType::F64:
    return GgmlTypeSize{1, 8};
  case GgmlType::Q8_0:
    return GgmlTypeSize{32, 34};
  case GgmlType::TQ1_0:
    return GgmlTypeSize{256, 54};
  case GgmlType::TQ2_0:
    return GgmlTypeSize{256, 66};
  case GgmlType::I2_S:
    return GgmlTypeSize{128, 32};
  default:
    return std::nullopt;
  }
}

OrError<uint64_t> ggmlTensorBytes(uint32_t typeId,
                                  const std::vector<int64_t> &dims) {
  using R = OrError<uint64_t>;
  const std::optional<GgmlTypeSize> ts = ggmlTypeSize(typeId);
  if (!ts)
    return R::failure("the byte size of " + ggmlTypeDescription(typeId) +
                      " is not known to Tern");
  if (dims.empty())
    return R::failure("a tensor needs at least one dimension");
  uint64_t n = 1;
  for (int64_t d : dims) {
    if (d <= 0)
      return R::failure("dimension " + std::to_string(d) + " is not positive");
    if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) /
                static_cast<uint64_t>(d))
      return R::failure("element count of " + formatDims(dims) +
                        " overflows int64");
    n *= static_cast<uint64_t>(d);
  }
  if (static_cast<GgmlType>(typeId) == GgmlType::I2_S)
    return R(n / 4 + 32); // bitnet.cpp: packed 2-bit codes + 32-byte scale.
  if (dims[0] % ts->blockSize != 0)
    return R::failure("dims[0] = " + std::to_string(dims[0]) +
                      " is not a multiple of the " + ggmlTypeName(typeId) +
                      " block size " + std::to_string(ts->blockSize));
  const uint64_t blocks = n / static_cast<uint64_t>(ts->blockSize);
  const uint64_t bb = static_cast<uint64_t>(ts->blockBytes);
  if (blocks > std::numeric_limits<uint64_t>::max() / bb)
    return R::failure("byte size of " + formatDims(dims) + " overflows");
  return R(blocks * bb);
}

std::string formatDims(const std::vector<int64_t> &dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i)
      s += ", ";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

std::string summarizeGgufValue(const GgufValue &value, size_t maxElements,
                               size_t maxChars) {
  if (!value.payload && value.payloadBytes == 0 &&
      value.type != GgufValueType::String && value.type != GgufValueType::Array)
    return "?"; // A default-constructed value.
  const uint8_t *p = value.payload;
  const uint8_t *end = p + value.payloadBytes;
  auto quote = [&](const uint8_t *chars, uint64_t len) {
    return "\"" +
           escapeForMessage(
               std::string_view(reinterpret_cast<const char *>(chars),
                                static_cast<size_t>(len)),
               maxChars) +
           "\"";
  };
  switch (value.type) {
  case GgufValueType::String:
    return quote(p, value.payloadBytes);
  case GgufValueType::Array: {
    std::string s = std::string("[") + ggufValueTypeName(value.elementType) +
                    " x " + std::to_string(value.count) + "]";
    if (value.count == 0)
      return s + " []";
    s += " [";
    for (uint64_t i = 0; i < value.count && p < end; ++i) {
      if (i == maxElements) {
        s += ", ...";
        break;
      }
      if (i)
        s += ", ";
      const uint64_t bytes = validatedValueBytes(value.elementType, p, end);
      if (value.elementType == GgufValueType::String)
        s += bytes >= 8 ? quote(p + 8, bytes - 8) : "?";
      else if (value.elementType == GgufValueType::Array)
        s += bytes >= 12
                 ? std::string("[") +
                       ggufValueTypeName(
                           static_cast<GgufValueType>(load<uint32_t>(p))) +
                       " x " + std::to_string(load<uint64_t>(p + 4)) + "]"
                 : "?";
      else
        s += scalarToString(value.elementType, p);
      p += bytes;
    }
    return s + "]";
  }
  default:
    return scalarToString(value.type, p);
  }
}

//===----------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------===//

/// One pass over the file; fills a GgufFile or stops at the first error.
class GgufParser {
public:
  GgufParser(GgufFile &out)
      : out_(out), base_(out.file_->data()), size_(out.file_->size()),
        path_(out.file_->name()) {}

  /// Returns the error message, empty on success.
  std::string run() {
    parse();
    return error_;
  }

private:
  bool fail(const std::string &message) {
    error_ = path_ + ": " + message;
    return false;
  }

  uint64_t left() const { return size_ - pos_; }

  bool need(uint64_t n, const std::string &what) {
    if (n <= left())
      return true;
    return fail("truncated file: " + what + " at offset " +
                std::to_string(pos_) + " needs " + std::to_string(n) +
                " bytes, but only " + std::to_string(left()) +
                " are left (file size " + std::to_string(size_) + ")");
  }

  bool readU32(uint32_t &v, const std::string &what) {
    if (!need(4, what))
      return false;
    v = load<uint32_t>(base_ + pos_);
    pos_ += 4;
    return true;
  }

  bool readU64(uint64_t &v, const std::string &what) {
    if (!need(8, what))
      return false;
    v = load<uint64_t>(base_ + pos_);
    pos_ += 8;
    return true;
  }

  /// Reads a gguf string; `chars`/`len` give the bytes (not copied).
  bool readString(const uint8_t *&chars, uint64_t &len,
                  const std::string &what) {
    if (!readU64(len, what + " length"))
      return false;
    if (len > left())
      return fail(what + ": string length " + std::to_string(len) +
                  " at offset " + std::to_string(pos_ - 8) +
                  " runs past the end of the file (only " +
                  std::to_string(left()) +
                  " bytes left; truncated or "
                  "corrupt file)");
    chars = base_ + pos_;
    pos_ += len;
    return true;
  }

  bool readStdString(std::string &s, const std::string &what) {
    const uint8_t *chars = nullptr;
    uint64_t len = 0;
    if (!readString(chars, len, what))
      return false;
    s.assign(reinterpret_cast<const char *>(chars), static_cast<size_t>(len));
    return true;
  }

  bool checkBool(uint8_t b, const std::string &what) {
    if (b <= 1)
      return true;
    return fail(what + ": invalid BOOL value " + std::to_string(b) +
                " at offset " + std::to_string(pos_) + " (must be 0 or 1)");
  }

  /// Walks one value of type `type` at the cursor. `out` (top level only)
  /// receives the view.
  bool walkValue(GgufValueType type, int depth, const std::string &what,
                 GgufValue *out) {
    if (out)
      out->type = type;
    if (uint64_t fixed = fixedValueSize(type)) {
      if (!need(fixed, what + " " + ggufValueTypeName(type) + " value"))
        return false;
      if (type == GgufValueType::Bool && !checkBool(base_[pos_], what))
        return false;
      if (out) {
        out->payload = base_ + pos_;
        out->payloadBytes = fixed;
      }
      pos_ += fixed;
      return true;
    }
    if (type == GgufValueType::String) {
      const uint8_t *chars = nullptr;
      uint64_t len = 0;
      if (!readString(chars, len, what))
        return false;
      if (out) {
        out->payload = chars;
        out->payloadBytes = len;
      }
      return true;
    }
    // Array.
    uint32_t et = 0;
    uint64_t count = 0;
    if (!readU32(et, what + " array element type"))
      return false;
    if (!isKnownValueType(et))
      return fail(what + ": unknown array element type " + std::to_string(et) +
                  " at offset " + std::to_string(pos_ - 4) +
                  " (valid types are 0 to 12)");
    if (!readU64(count, what + " array count"))
      return false;
    const auto elemType = static_cast<GgufValueType>(et);
    const uint64_t start = pos_;
    const std::string countText = "array of " + std::to_string(count) + " " +
                                  ggufValueTypeName(elemType) + " elements";
    if (uint64_t fixed = fixedValueSize(elemType)) {
      if (count > left() / fixed)
        return fail(what + ": " + countText + " (" + std::to_string(fixed) +
                    " bytes each) at offset " + std::to_string(pos_) +
                    " runs past the end of the file (only " +
                    std::to_string(left()) + " bytes left)");
      if (elemType == GgufValueType::Bool)
        for (uint64_t i = 0; i < count; ++i)
          if (!checkBool(base_[pos_ + i],
                         what + " element " + std::to_string(i)))
            return false;
      pos_ += count * fixed;
    } else if (elemType == GgufValueType::String) {
      if (count > left() / 8)
        return fail(what + ": " + countText + " cannot fit in the " +
                    std::to_string(left()) +
                    " bytes left in the file (each needs at least 8)");
      for (uint64_t i = 0; i < count; ++i) {
        const uint8_t *chars = nullptr;
        uint64_t len = 0;
        if (!readString(chars, len, what + " element " + std::to_string(i)))
          return false;
      }
    } else {
      if (depth + 1 >= kGgufMaxArrayDepth)
        return fail(what + ": arrays nested deeper than " +
                    std::to_string(kGgufMaxArrayDepth) + " levels");
      if (count > left() / 12)
        return fail(what + ": " + countText + " cannot fit in the " +
                    std::to_string(left()) +
                    " bytes left in the file (each needs at least 12)");
      for (uint64_t i = 0; i < count; ++i)
        if (!walkValue(GgufValueType::Array, depth + 1,
                       what + " element " + std::to_string(i), nullptr))
          return false;
    }
    if (out) {
      out->elementType = elemType;
      out->count = count;
      out->payload = base_ + start;
      out->payloadBytes = pos_ - start;
    }
    return true;
  }

  bool parseHeader(uint64_t &tensorCount, uint64_t &kvCount) {
    if (size_ < 4)
      return fail("file too short to be a GGUF file (" + std::to_string(size_) +
                  " bytes)");
    if (std::memcmp(base_, kGgufMagic, 4) != 0) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%02X %02X %02X %02X", base_[0], base_[1],
                    base_[2], base_[3]);
      std::string text;
      for (int i = 0; i < 4; ++i)
        text += (base_[i] >= 0x20 && base_[i] < 0x7F) ? char(base_[i]) : '.';
      return fail("not a GGUF file: bad magic bytes " + std::string(buf) +
                  " (\"" + text + "\"), expected 47 47 55 46 (\"GGUF\")");
    }
    if (size_ < 24)
      return fail("truncated file: the GGUF header needs 24 bytes, the file "
                  "has " +
                  std::to_string(size_));
    pos_ = 4;
    uint32_t version = 0;
    readU32(version, "version");
    if (version != 2 && version != 3) {
      const uint32_t swapped = __builtin_bswap32(version);
      if (swapped == 2 || swapped == 3)
        return fail("big-endian GGUF files are not supported (version field "
                    "reads " +
                    std::to_string(swapped) + " byte-swapped)");
      return fail("unsupported GGUF version " + std::to_string(version) +
                  " (Tern reads versions 2 and 3)");
    }
    out_.version_ = version;
    readU64(tensorCount, "tensor count");
    readU64(kvCount, "metadata count");
    if (tensorCount > kGgufMaxTensors)
      return fail("tensor count " + std::to_string(tensorCount) +
                  " is absurd (the limit is " +
                  std::to_string(kGgufMaxTensors) + ")");
    // Each entry needs a key length (8), a type (4) and a value (>= 1).
    if (kvCount > left() / 13)
      return fail("metadata count " + std::to_string(kvCount) +
                  " is absurd: the " + std::to_string(left()) +
                  " bytes after the header cannot hold that many entries");
    return true;
  }

  bool parseMetadata(uint64_t kvCount) {
    out_.metadata_.reserve(static_cast<size_t>(kvCount));
    for (uint64_t i = 0; i < kvCount; ++i) {
      const std::string entry = "metadata entry #" + std::to_string(i);
      GgufKeyValue kv;
      if (!readStdString(kv.key, entry + " key"))
        return false;
      if (kv.key.empty())
        return fail(entry + " has an empty key");
      const std::string what =
          "metadata key '" + escapeForMessage(kv.key, 120) + "'";
      uint32_t type = 0;
      if (!readU32(type, what + " value type"))
        return false;
      if (!isKnownValueType(type))
        return fail(what + ": unknown value type " + std::to_string(type) +
                    " at offset " + std::to_string(pos_ - 4) +
                    " (valid types are 0 to 12)");
      if (!walkValue(static_cast<GgufValueType>(type), 0, what, &kv.value))
        return false;
      auto [it, inserted] =
          out_.keyIndex_.emplace(kv.key, out_.metadata_.size());
      if (!inserted)
        return fail("duplicate metadata key '" + escapeForMessage(kv.key, 120) +
                    "' (entries #" + std::to_string(it->second) + " and #" +
                    std::to_string(i) + ")");
      out_.metadata_.push_back(std::move(kv));
    }
    if (const GgufKeyValue *a = out_.findKey("general.alignment")) {
      if (a->value.type != GgufValueType::Uint32)
        return fail("metadata key 'general.alignment' has type " +
                    std::string(ggufValueTypeName(a->value.type)) +
                    ", expected UINT32");
      const uint32_t align = load<uint32_t>(a->value.payload);
      if (align == 0 || (align & (align - 1)) != 0)
        return fail("metadata key 'general.alignment' is " +
                    std::to_string(align) + ", expected a power of two");
      out_.alignment_ = align;
    }
    return true;
  }

  bool parseTensorInfos(uint64_t tensorCount) {
    // Each info needs a name length (8), n_dims (4), one dim (8), a type (4)
    // and an offset (8).
    if (tensorCount > left() / 32)
      return fail("tensor count " + std::to_string(tensorCount) +
                  " cannot fit in the " + std::to_string(left()) +
                  " bytes left after the metadata (truncated or corrupt file)");
    const uint64_t align = out_.alignment_;
    out_.tensors_.reserve(static_cast<size_t>(tensorCount));
    for (uint64_t i = 0; i < tensorCount; ++i) {
      GgufTensorInfo t;
      const std::string entry = "tensor #" + std::to_string(i);
      if (!readStdString(t.name, entry + " name"))
        return false;
      if (t.name.empty())
        return fail(entry + " has an empty name");
      const std::string what = "tensor '" + escapeForMessage(t.name, 120) + "'";
      uint32_t nDims = 0;
      if (!readU32(nDims, what + " n_dims"))
        return false;
      if (nDims == 0 || nDims > kGgufMaxDims)
        return fail(what + ": n_dims " + std::to_string(nDims) +
                    " is out of range (1 to " + std::to_string(kGgufMaxDims) +
                    ")");
      uint64_t elements = 1;
      for (uint32_t d = 0; d < nDims; ++d) {
        uint64_t dim = 0;
        if (!readU64(dim, what + " dimension " + std::to_string(d)))
          return false;
        if (dim == 0)
          return fail(what + ": dimension " + std::to_string(d) + " is 0");
        if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
          return fail(what + ": dimension " + std::to_string(d) + " = " +
                      std::to_string(dim) + " is absurd");
        t.dims.push_back(static_cast<int64_t>(dim));
        if (elements >
            static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / dim)
          return fail(what + ": element count overflows int64 (dims " +
                      formatDims(t.dims) + (d + 1 < nDims ? " and more" : "") +
                      ")");
        elements *= dim;
      }
      t.numElements = static_cast<int64_t>(elements);
      if (!readU32(t.type, what + " type"))
        return false;
      if (!ggmlTypeName(t.type))
        return fail(what + ": unknown ggml tensor type id " +
                    std::to_string(t.type));
      if (!readU64(t.offset, what + " offset"))
        return false;
      if (t.offset % align != 0)
        return fail(what + ": data offset " + std::to_string(t.offset) +
                    " is misaligned (not a multiple of the alignment " +
                    std::to_string(align) + ")");
      if (ggmlTypeSize(t.type)) {
        OrError<uint64_t> bytes = ggmlTensorBytes(t.type, t.dims);
        if (!bytes)
          return fail(what + " (" + ggmlTypeName(t.type) + " " +
                      formatDims(t.dims) + "): " + bytes.error);
        t.byteSize = *bytes;
      }
      auto [it, inserted] =
          out_.tensorIndex_.emplace(t.name, out_.tensors_.size());
      if (!inserted)
        return fail("duplicate tensor name '" + escapeForMessage(t.name, 120) +
                    "' (tensors #" + std::to_string(it->second) + " and #" +
                    std::to_string(i) + ")");
      out_.tensors_.push_back(std::move(t));
    }
    return true;
  }

  bool resolveTensorData() {
    const uint64_t align = out_.alignment_;
    // pos_ <= size_ < 2^63 and align <= 2^31: no overflow.
    const uint64_t dataStart = (pos_ + align - 1) / align * align;
    out_.dataOffset_ = dataStart;
    const uint64_t avail = dataStart < size_ ? size_ - dataStart : 0;
    for (GgufTensorInfo &t : out_.tensors_) {
      const std::string what = "tensor '" + escapeForMessage(t.name, 120) + "'";
      if (t.offset > avail)
        return fail(what + ": data offset " + std::to_string(t.offset) +
                    " is past the end of the file (data section starts at " +
                    std::to_string(dataStart) + ", file size " +
                    std::to_string(size_) + "; truncated file?)");
      if (t.byteSize && *t.byteSize > avail - t.offset)
        return fail(what + ": data (" + std::to_string(*t.byteSize) +
                    " bytes of " + ggmlTypeName(t.type) + " " +
                    formatDims(t.dims) + " at file offset " +
                    std::to_string(dataStart + t.offset) +
                    ") runs past the end of the file (file size " +
                    std::to_string(size_) + "; truncated file?)");
      t.fileOffset = dataStart + t.offset;
      t.data = base_ + t.fileOffset;
    }
    return checkNoOverlap();
  }

  /// Two tensors whose data share bytes would alias one another (a write
  /// through one, or a repacking, would change the other): refused.
  bool checkNoOverlap() {
    std::vector<const GgufTensorInfo *> sized;
    for (const GgufTensorInfo &t : out_.tensors_)
      if (t.byteSize && *t.byteSize > 0)
        sized.push_back(&t);
    std::sort(sized.begin(), sized.end(),
              [](const GgufTensorInfo *a, const GgufTensorInfo *b) {
                return a->offset < b->offset;
              });
    for (size_t i = 1; i < sized.size(); ++i) {
      const GgufTensorInfo &a = *sized[i - 1], &b = *sized[i];
      if (a.offset + *a.byteSize > b.offset)
        return fail("tensor '" + escapeForMessage(b.name, 120) +
                    "' (data bytes " + std::to_string(b.offset) + ".." +
                    std::to_string(b.offset + *b.byteSize) +
                    ") overlaps tensor '" + escapeForMessage(a.name, 120) +
                    "' (" + std::to_string(a.offset) + ".." +
                    std::to_string(a.offset + *a.byteSize) + ")");
    }
    return true;
  }

  void parse() {
    uint64_t tensorCount = 0, kvCount = 0;
    if (!parseHeader(tensorCount, kvCount) || !parseMetadata(kvCount) ||
        !parseTensorInfos(tensorCount))
      return;
    resolveTensorData();
  }

  GgufFile &out_;
  const uint8_t *base_;
  uint64_t size_;
  const std::string &path_;
  uint64_t pos_ = 0;
  std::string error_;
};

//===----------------------------------------------------------------------===//
// GgufFile
//===----------------------------------------------------------------------===//

GgufFileOrError GgufFile::open(const std::string &path) {
  MappedFileOrError file = MappedFile::open(path);
  if (!file)
    return GgufFileOrError::failure(file.error);
  return parse(std::move(*file));
}

GgufFileOrError GgufFile::parse(std::shared_ptr<const MappedFile> file) {
  if (!file)
    return GgufFileOrError::failure("GGUF parser: no file given");
  GgufFile g;
  g.file_ = std::move(file);
  const std::string error = GgufParser(g).run();
  if (!error.empty())
    return GgufFileOrError::failure(error);
  return GgufFileOrError(std::move(g));
}

const GgufKeyValue *GgufFile::findKey(std::string_view key) const {
  auto it = keyIndex_.find(std::string(key));
  return it == keyIndex_.end() ? nullptr : &metadata_[it->second];
}

const GgufTensorInfo *GgufFile::findTensor(std::string_view name) const {
  auto it = tensorIndex_.find(std::string(name));
  return it == tensorIndex_.end() ? nullptr : &tensors_[it->second];
}

OrError<const GgufKeyValue *> GgufFile::lookup(std::string_view key) const {
  if (const GgufKeyValue *kv = findKey(key))
    return OrError<const GgufKeyValue *>(kv);
  return OrError<const GgufKeyValue *>::failure(
      path() + ": metadata key '" + std::string(key) + "' is missing");
}

namespace {

std::string typeMismatch(const std::string &path, std::string_view key,
                         const GgufValue &v, const std::string &expected) {
  std::string actual = ggufValueTypeName(v.type);
  if (v.type == GgufValueType::Array)
    actual += std::string(" of ") + ggufValueTypeName(v.elementType);
  return path + ": metadata key '" + std::string(key) + "' has type " + actual +
         ", expected " + expected;
}

template <typename T>
OrError<T> getInteger(const GgufFile &f, std::string_view key,
                      const char *typeName) {
  const GgufKeyValue *kv = f.findKey(key);
  if (!kv)
    return OrError<T>::failure(f.path() + ": metadata key '" +
                               std::string(key) + "' is missing");
  if (!isIntegerType(kv->value.type))
    return OrError<T>::failure(
        typeMismatch(f.path(), key, kv->value, "an integer"));
  const RawInteger r = readInteger(kv->value.type, kv->value.payload);
  if (std::optional<T> v = fitInteger<T>(r))
    return OrError<T>(*v);
  return OrError<T>::failure(f.path() + ": metadata key '" + std::string(key) +
                             "' = " + rawIntegerString(r) +
                             " does not fit in " + typeName);
}

} // namespace

OrError<uint32_t> GgufFile::getU32(std::string_view key) const {
  return getInteger<uint32_t>(*this, key, "UINT32");
}
OrError<int32_t> GgufFile::getI32(std::string_view key) const {
  return getInteger<int32_t>(*this, key, "INT32");
}
OrError<uint64_t> GgufFile::getU64(std::string_view key) const {
  return getInteger<uint64_t>(*this, key, "UINT64");
}
OrError<int64_t> GgufFile::getI64(std::string_view key) const {
  return getInteger<int64_t>(*this, key, "INT64");
}

OrError<double> GgufFile::getF64(std::string_view key) const {
  OrError<const GgufKeyValue *> kv = lookup(key);
  if (!kv)
    return OrError<double>::failure(kv.error);
  const GgufValue &v = (*kv)->value;
  if (v.type == GgufValueType::Float32)
    return OrError<double>(load<float>(v.payload));
  if (v.type == GgufValueType::Float64)
    return OrError<double>(load<double>(v.payload));
  return OrError<double>::failure(
      typeMismatch(path(), key, v, "FLOAT32 or FLOAT64"));
}

OrError<float> GgufFile::getF32(std::string_view key) const {
  OrError<double> d = getF64(key);
  if (!d)
    return OrError<float>::failure(d.error);
  if (std::isfinite(*d) &&
      std::fabs(*d) > static_cast<double>(std::numeric_limits<float>::max()))
    return OrError<float>::failure(
        path() + ": metadata key '" + std::string(key) +
        "' = " + formatFloat(*d, 17) + " does not fit in FLOAT32");
  return OrError<float>(static_cast<float>(*d));
}

OrError<bool> GgufFile::getBool(std::string_view key) const {
  OrError<const GgufKeyValue *> kv = lookup(key);
  if (!kv)
    return OrError<bool>::failure(kv.error);
  const GgufValue &v = (*kv)->value;
  if (v.type != GgufValueType::Bool)
    return OrError<bool>::failure(typeMismatch(path(), key, v, "BOOL"));
  return OrError<bool>(v.payload[0] != 0);
}

OrError<std::string> GgufFile::getString(std::string_view key) const {
  OrError<const GgufKeyValue *> kv = lookup(key);
  if (!kv)
    return OrError<std::string>::failure(kv.error);
  const GgufValue &v = (*kv)->value;
  if (v.type != GgufValueType::String)
    return OrError<std::string>::failure(
        typeMismatch(path(), key, v, "STRING"));
  return OrError<std::string>(
      std::string(reinterpret_cast<const char *>(v.payload),
                  static_cast<size_t>(v.payloadBytes)));
}

OrError<std::vector<std::string>>
GgufFile::getStringArray(std::string_view key) const {
  using R = OrError<std::vector<std::string>>;
  OrError<const GgufKeyValue *> kv = lookup(key);
  if (!kv)
    return R::failure(kv.error);
  const GgufValue &v = (*kv)->value;
  if (v.type != GgufValueType::Array || v.elementType != GgufValueType::String)
    return R::failure(typeMismatch(path(), key, v, "ARRAY of STRING"));
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(v.count));
  // Validated by the parser: each element is a length and that many bytes.
  const uint8_t *p = v.payload;
  const uint8_t *end = v.payload + v.payloadBytes;
  for (uint64_t i = 0; i < v.count; ++i) {
    if (end - p < 8)
      return R::failure(path() + ": metadata key '" + std::string(key) +
                        "': internal error walking the array");
    const uint64_t len = load<uint64_t>(p);
    if (len > static_cast<uint64_t>(end - p) - 8)
      return R::failure(path() + ": metadata key '" + std::string(key) +
                        "': internal error walking the array");
    out.emplace_back(reinterpret_cast<const char *>(p + 8),
                     static_cast<size_t>(len));
    p += 8 + len;
  }
  return R(std::move(out));
}

OrError<std::vector<int32_t>>
GgufFile::getI32Array(std::string_view key) const {
  using R = OrError<std::vector<int32_t>>;
  OrError<const GgufKeyValue *> kv = lookup(key);
  if (!kv)
    return R::failure(kv.error);
  const GgufValue &v = (*kv)->value;
  if (v.type != GgufValueType::Array || !isIntegerType(v.elementType))
    return R::failure(typeMismatch(path(), key, v, "ARRAY of integers"));
  const uint64_t size = fixedValueSize(v.elementType);
  std::vector<int32_t> out(static_cast<size_t>(v.count));
  for (uint64_t i = 0; i < v.count; ++i) {
    const RawInteger r = readInteger(v.elementType, v.payload + i * size);
    std::optional<int32_t> x = fitInteger<int32_t>(r);
    if (!x)
      return R::failure(path() + ": metadata key '" + std::string(key) +
                        "' element " + std::to_string(i) + " = " +
                        rawIntegerString(r) + " does not fit in INT32");
    out[static_cast<size_t>(i)] = *x;
  }
  return R(std::move(out));
}

OrError<std::vector<float>> GgufFile::getF32Array(std::string_view key) const {
  using R = OrError<std::vector<float>>;
  OrError<const GgufKeyValue *> kv = lookup(key);
  if (!kv)
    return R::failure(kv.error);
  const GgufValue &v = (*kv)->value;
  const bool f32 = v.elementType == GgufValueType::Float32;
  const bool f64 = v.elementType == GgufValueType::Float64;
  if (v.type != GgufValueType::Array || !(f32 || f64))
    return R::failure(typeMismatch(path(), key, v, "ARRAY of FLOAT32"));
  std::vector<float> out(static_cast<size_t>(v.count));
  for (uint64_t i = 0; i < v.count; ++i) {
    if (f32) {
      out[static_cast<size_t>(i)] = load<float>(v.payload + 4 * i);
      continue;
    }
    const double d = load<double>(v.payload + 8 * i);
    if (std::isfinite(d) &&
        std::fabs(d) > static_cast<double>(std::numeric_limits<float>::max()))
      return R::failure(path() + ": metadata key '" + std::string(key) +
                        "' element " + std::to_string(i) + " = " +
                        formatFloat(d, 17) + " does not fit in FLOAT32");
    out[static_cast<size_t>(i)] = static_cast<float>(d);
  }
  return R(std::move(out));
}

} // namespace tern
