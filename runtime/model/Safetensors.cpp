//===- Safetensors.cpp - Reads and writes safetensors files ---------------===//

#include "runtime/model/Safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <unordered_set>

namespace tern {

using json = nlohmann::json;

//===----------------------------------------------------------------------===//
// Dtypes
//===----------------------------------------------------------------------===//

namespace {

struct DTypeInfo {
  SafetensorsDType dtype;
  const char *name;
  uint32_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {SafetensorsDType::BOOL, "BOOL", 1}, {SafetensorsDType::U8, "U8", 1},
    {SafetensorsDType::I8, "I8", 1},     {SafetensorsDType::I16, "I16", 2},
    {SafetensorsDType::U16, "U16", 2},   {SafetensorsDType::F16, "F16", 2},
    {SafetensorsDType::BF16, "BF16", 2}, {SafetensorsDType::I32, "I32", 4},
    {SafetensorsDType::U32, "U32", 4},   {SafetensorsDType::F32, "F32", 4},
    {SafetensorsDType::F64, "F64", 8},   {SafetensorsDType::I64, "I64", 8},
    {SafetensorsDType::U64, "U64", 8},
};

const DTypeInfo *dtypeInfo(SafetensorsDType dtype) {
  for (const DTypeInfo &d : kDTypes)
    if (d.dtype == dtype)
      return &d;
  return nullptr;
}

/// Headers larger than this are rejected (Hugging Face uses the same limit).
constexpr uint64_t kMaxHeaderSize = 100ull * 1000 * 1000;

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// Element count of `shape`, or nullopt on a negative dim or overflow.
std::optional<int64_t> elementCount(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      return std::nullopt;
    n *= d;
  }
  return n;
}

/// True when `s` is well-formed UTF-8 (shortest forms, no surrogates,
/// at most U+10FFFF).
bool isValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    size_t trail;
    uint32_t cp;
    if (b < 0x80) {
      ++i;
      continue;
    }
    if ((b >> 5) == 6)
      trail = 1, cp = b & 0x1Fu;
    else if ((b >> 4) == 14)
      trail = 2, cp = b & 0x0Fu;
    else if ((b >> 3) == 30)
      trail = 3, cp = b & 0x07u;
    else
      return false;
    if (s.size() - i <= trail)
      return false;
    for (size_t k = 1; k <= trail; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c >> 6) != 2)
        return false;
      cp = (cp << 6) | (c & 0x3Fu);
    }
    static const uint32_t minimum[] = {0, 0x80, 0x800, 0x10000};
    if (cp < minimum[trail] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += trail + 1;
  }
  return true;
}

/// Appends `s` as a JSON string literal (s must be valid UTF-8).
void appendJsonString(std::string &out, std::string_view s) {
  out += '"';
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}


} // namespace

const char *safetensorsDTypeName(SafetensorsDType dtype) {
  const DTypeInfo *d = dtypeInfo(dtype);
  return d ? d->name : "unknown";
}

uint32_t safetensorsDTypeSize(SafetensorsDType dtype) {
  const DTypeInfo *d = dtypeInfo(dtype);
  return d ? d->size : 0;
}

std::optional<SafetensorsDType>
safetensorsDTypeFromName(std::string_view name) {
  for (const DTypeInfo &d : kDTypes)
    if (name == d.name)
      return d.dtype;
  return std::nullopt;
}

std::string safetensorsDTypeList() {
  std::string s;
  for (const DTypeInfo &d : kDTypes)
    s += (s.empty() ? "" : ", ") + std::string(d.name);
  return s;
}

//===----------------------------------------------------------------------===//
// JSON helpers
//===----------------------------------------------------------------------===//

std::optional<int64_t> jsonInt64(const json &value) {
  if (value.is_number_unsigned()) {
    const auto v = value.get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return std::nullopt;
    return static_cast<int64_t>(v);
  }
  if (value.is_number_integer())
    return value.get<int64_t>();
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// SafetensorsFile
//===----------------------------------------------------------------------===//

SafetensorsFileOrError SafetensorsFile::open(const std::string &path) {
  MappedFileOrError file = MappedFile::open(path);
  if (!file)
    return SafetensorsFileOrError::failure(file.error);
  return parse(std::move(*file));
}

SafetensorsFileOrError
SafetensorsFile::parse(std::shared_ptr<const MappedFile> file) {
  using R = SafetensorsFileOrError;
  const std::string &path = file->name();
  auto fail = [&](const std::string &message) {
    return R::failure(path + ": " + message);
  };
  const uint64_t size = file->size();
  if (size < 8)
    return fail("file is " + std::to_string(size) +
                " bytes, too short for a safetensors header (an 8-byte "
                "length, then JSON)");
  uint64_t headerSize = 0;
  for (int i = 7; i >= 0; --i)
    headerSize = (headerSize << 8) | file->data()[i];
  if (headerSize > size - 8)
    return fail("header length " + std::to_string(headerSize) +
                " exceeds the " + std::to_string(size - 8) +
                " bytes after the length field (truncated file, or not a "
                "safetensors file)");
  if (headerSize >= kMaxHeaderSize)
    return fail("header length " + std::to_string(headerSize) +
                " is over the 100 MB limit");

  const std::string_view text(reinterpret_cast<const char *>(file->data()) + 8,
                              static_cast<size_t>(headerSize));
  if (std::string deep = checkJsonNesting(text); !deep.empty())
    return fail("header is not valid: " + deep);
  // Tensor names repeated at the top level are an error (the JSON parser
  // would silently keep the last one).
  std::unordered_set<std::string> seen;
  std::string duplicate;
  auto onEvent = [&](int depth, json::parse_event_t event, json &parsed) {
    if (event == json::parse_event_t::key && depth == 1 && duplicate.empty())
      if (const auto *key = parsed.get_ptr<const std::string *>())
        if (!seen.insert(*key).second)
          duplicate = *key;
    return true;
  };
  json header = json::parse(text.begin(), text.end(), onEvent,
                            /*allow_exceptions=*/false);
  if (header.is_discarded()) {
    json ignored;
    return fail("header is not valid JSON: " + parseJsonNoThrow(text, ignored));
  }
  if (!header.is_object())
    return fail("header is not a JSON object (it is " +
                std::string(header.type_name()) + ")");
  if (!duplicate.empty())
    return fail("header lists '" + duplicate + "' twice");

  auto state = std::make_shared<State>();
  state->headerSize = headerSize;
  const uint64_t dataStart = 8 + headerSize;
  const uint64_t dataSize = size - dataStart;

  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string &name = it.key();
    const json &entry = it.value();
    if (name == "__metadata__") {
      if (!entry.is_object())
        return fail("'__metadata__' is not an object of strings (it is " +
                    std::string(entry.type_name()) + ")");
      for (auto m = entry.begin(); m != entry.end(); ++m) {
        const auto *value = m.value().get_ptr<const std::string *>();
        if (!value)
          return fail("'__metadata__' entry '" + m.key() +
                      "' is not a string: " + quoteJson(m.value()));
        state->metadata[m.key()] = *value;
      }
      continue;
    }
    const std::string what = "tensor '" + name + "'";
    if (!entry.is_object())
      return fail(what +
                  " is not described by an object: " + quoteJson(entry));

    SafetensorsTensorInfo t;
    t.name = name;
    auto dtypeIt = entry.find("dtype");
    if (dtypeIt == entry.end())
      return fail(what + " has no 'dtype'");
    const auto *dtypeName = dtypeIt->get_ptr<const std::string *>();
    if (!dtypeName)
      return fail(what +
                  ": 'dtype' is not a string: " + quoteJson(*dtypeIt));
    std::optional<SafetensorsDType> dtype =
        safetensorsDTypeFromName(*dtypeName);
    if (!dtype)
      return fail(what + " has unsupported dtype '" + *dtypeName +
                  "' (Tern reads " + safetensorsDTypeList() + ")");
    t.dtype = *dtype;

    auto shapeIt = entry.find("shape");
    if (shapeIt == entry.end())
      return fail(what + " has no 'shape'");
    if (!shapeIt->is_array())
      return fail(what +
                  ": 'shape' is not an array: " + quoteJson(*shapeIt));
    for (const json &d : *shapeIt) {
      std::optional<int64_t> dim = jsonInt64(d);
      if (!dim || *dim < 0)
        return fail(what + ": 'shape' " + quoteJson(*shapeIt) + " holds " +
                    quoteJson(d) + ", not a non-negative integer");
      t.shape.push_back(*dim);
    }
    std::optional<int64_t> count = elementCount(t.shape);
    const uint64_t elemSize = safetensorsDTypeSize(t.dtype);
    if (!count || static_cast<uint64_t>(*count) >
                      std::numeric_limits<uint64_t>::max() / elemSize)
      return fail(what + ": shape " + formatShape(t.shape) +
                  " has too many elements");
    t.numElements = *count;
    const uint64_t need = static_cast<uint64_t>(*count) * elemSize;

    auto offIt = entry.find("data_offsets");
    if (offIt == entry.end())
      return fail(what + " has no 'data_offsets'");
    std::optional<int64_t> begin, end;
    if (offIt->is_array() && offIt->size() == 2) {
      begin = jsonInt64((*offIt)[0]);
      end = jsonInt64((*offIt)[1]);
    }
    if (!begin || !end || *begin < 0 || *end < 0)
      return fail(what + ": 'data_offsets' " + quoteJson(*offIt) +
                  " is not a pair of non-negative integers [begin, end]");
    if (*begin > *end)
      return fail(what + ": 'data_offsets' [" + std::to_string(*begin) + ", " +
                  std::to_string(*end) + "] ends before it begins");
    const auto b = static_cast<uint64_t>(*begin);
    const auto e = static_cast<uint64_t>(*end);
    if (e > dataSize)
      return fail(what + ": 'data_offsets' [" + std::to_string(b) + ", " +
                  std::to_string(e) + "] reach past the end of the data (" +
                  std::to_string(dataSize) +
                  " bytes after the header; truncated file?)");
    if (e - b != need)
      return fail(what + ": 'data_offsets' [" + std::to_string(b) + ", " +
                  std::to_string(e) + "] hold " + std::to_string(e - b) +
                  " bytes, but shape " + formatShape(t.shape) + " of " +
                  t.dtypeName() + " needs " + std::to_string(need));
    t.offset = b;
    t.byteSize = need;
    t.data = file->data() + dataStart + b;
    state->tensors.push_back(std::move(t));
  }

  std::sort(state->tensors.begin(), state->tensors.end(),
            [](const SafetensorsTensorInfo &a, const SafetensorsTensorInfo &b) {
              return a.offset != b.offset ? a.offset < b.offset
                                          : a.name < b.name;
            });
  // With tensors sorted by offset, an overlap always shows between a tensor
  // and the non-empty tensor reaching furthest before it.
  const SafetensorsTensorInfo *furthest = nullptr;
  for (const SafetensorsTensorInfo &t : state->tensors) {
    if (t.byteSize == 0)
      continue;
    if (furthest && furthest->offset + furthest->byteSize > t.offset)
      return fail("tensors '" + furthest->name + "' (bytes [" +
                  std::to_string(furthest->offset) + ", " +
                  std::to_string(furthest->offset + furthest->byteSize) +
                  ")) and '" + t.name + "' (bytes [" +
                  std::to_string(t.offset) + ", " +
                  std::to_string(t.offset + t.byteSize) + ")) overlap");
    if (!furthest ||
        t.offset + t.byteSize > furthest->offset + furthest->byteSize)
      furthest = &t;
  }
  for (size_t i = 0; i < state->tensors.size(); ++i)
    state->byName.emplace(state->tensors[i].name, i);

  SafetensorsFile result;
  result.file_ = std::move(file);
  result.state_ = std::move(state);
  return R(std::move(result));
}

const SafetensorsTensorInfo *
SafetensorsFile::findTensor(const std::string &name) const {
  auto it = state_->byName.find(name);
  return it == state_->byName.end() ? nullptr : &state_->tensors[it->second];
}

//===----------------------------------------------------------------------===//
// SafetensorsWriter
//===----------------------------------------------------------------------===//

void SafetensorsWriter::addTensor(const std::string &name,
                                  SafetensorsDType dtype,
                                  std::vector<int64_t> shape,
                                  std::vector<uint8_t> bytes) {
  Tensor t;
  t.name = name;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.byteSize = bytes.size();
  t.bytes = std::move(bytes);
  tensors_.push_back(std::move(t));
}

void SafetensorsWriter::addTensor(const std::string &name,
                                  SafetensorsDType dtype,
                                  std::vector<int64_t> shape, uint64_t byteSize,
                                  FillFn fill) {
  Tensor t;
  t.name = name;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.byteSize = byteSize;
  t.fill = std::move(fill);
  tensors_.push_back(std::move(t));
}

void SafetensorsWriter::addMetadata(const std::string &key,
                                    const std::string &value) {
  for (auto &[k, v] : metadata_)
    if (k == key) {
      v = value;
      return;
    }
  metadata_.emplace_back(key, value);
}

OrError<std::string> SafetensorsWriter::header() const {
  using R = OrError<std::string>;
  std::string out = "{";
  if (!metadata_.empty()) {
    out += "\"__metadata__\":{";
    bool first = true;
    for (const auto &[k, v] : metadata_) {
      if (!isValidUtf8(k) || !isValidUtf8(v))
        return R::failure("metadata entry '" + k + "' is not valid UTF-8");
      if (!first)
        out += ',';
      first = false;
      appendJsonString(out, k);
      out += ':';
      appendJsonString(out, v);
    }
    out += '}';
  }
  std::unordered_set<std::string> names;
  uint64_t offset = 0;
  for (const Tensor &t : tensors_) {
    const std::string what = "tensor '" + t.name + "'";
    if (t.name.empty())
      return R::failure("a tensor has an empty name");
    if (t.name == "__metadata__")
      return R::failure("a tensor cannot be called '__metadata__'");
    if (!isValidUtf8(t.name))
      return R::failure(what + ": the name is not valid UTF-8");
    if (!names.insert(t.name).second)
      return R::failure(what + " was added twice");
    if (!dtypeInfo(t.dtype))
      return R::failure(what + " has an unknown dtype");
    std::optional<int64_t> count = elementCount(t.shape);
    const uint64_t elemSize = safetensorsDTypeSize(t.dtype);
    if (!count || static_cast<uint64_t>(*count) >
                      std::numeric_limits<uint64_t>::max() / elemSize)
      return R::failure(what + ": bad shape " + formatShape(t.shape));
    const uint64_t need = static_cast<uint64_t>(*count) * elemSize;
    if (t.byteSize != need)
      return R::failure(what + " has " + std::to_string(t.byteSize) +
                        " bytes, but shape " + formatShape(t.shape) + " of " +
                        safetensorsDTypeName(t.dtype) + " needs " +
                        std::to_string(need));
    if (offset > std::numeric_limits<uint64_t>::max() - need)
      return R::failure(what + ": the file would be too large");
    if (out.size() > 1)
      out += ',';
    appendJsonString(out, t.name);
    out += ":{\"dtype\":\"";
    out += safetensorsDTypeName(t.dtype);
    out += "\",\"shape\":[";
    for (size_t i = 0; i < t.shape.size(); ++i)
      out += (i ? "," : "") + std::to_string(t.shape[i]);
    out += "],\"data_offsets\":[" + std::to_string(offset) + "," +
           std::to_string(offset + need) + "]}";
    offset += need;
  }
  out += '}';
  return R(std::move(out));
}

OrError<std::string> SafetensorsWriter::paddedHeader() const {
  OrError<std::string> h = header();
  if (h)
    h->append((8 - h->size() % 8) % 8, ' ');
  return h;
}

OrError<std::vector<uint8_t>> SafetensorsWriter::serialize() const {
  using R = OrError<std::vector<uint8_t>>;
  OrError<std::string> h = paddedHeader();
  if (!h)
    return R::failure(h.error);
  std::vector<uint8_t> out(8);
  const uint64_t n = h->size();
  for (int i = 0; i < 8; ++i)
    out[static_cast<size_t>(i)] = static_cast<uint8_t>(n >> (8 * i));
  out.insert(out.end(), h->begin(), h->end());
  for (const Tensor &t : tensors_) {
    const size_t at = out.size();
    out.resize(at + static_cast<size_t>(t.byteSize), 0);
    if (t.fill)
      t.fill(out.data() + at);
    else if (t.byteSize)
      std::memcpy(out.data() + at, t.bytes.data(),
                  static_cast<size_t>(t.byteSize));
  }
  return R(std::move(out));
}

std::string SafetensorsWriter::writeFile(const std::string &path) const {
  OrError<std::string> h = paddedHeader();
  if (!h)
    return path + ": " + h.error;
  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    return path + ": cannot create: " + std::strerror(errno);
  bool ok = true;
  int err = 0;
  auto put = [&](const void *p, size_t n) {
    if (ok && n && std::fwrite(p, 1, n, f) != n) {
      ok = false;
      err = errno;
    }
  };
  uint8_t length[8];
  const uint64_t n = h->size();
  for (int i = 0; i < 8; ++i)
    length[i] = static_cast<uint8_t>(n >> (8 * i));
  put(length, 8);
  put(h->data(), h->size());
  for (const Tensor &t : tensors_) {
    if (!ok)
      break;
    if (!t.fill) {
      put(t.bytes.data(), static_cast<size_t>(t.byteSize));
      continue;
    }
    std::vector<uint8_t> buffer(static_cast<size_t>(t.byteSize), 0);
    t.fill(buffer.data());
    put(buffer.data(), buffer.size());
  }
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    std::remove(path.c_str());
    return path + ": write error: " + std::strerror(err ? err : EIO);
  }
  return "";
}

} // namespace tern
