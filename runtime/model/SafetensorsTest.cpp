//===- SafetensorsTest.cpp - safetensors reader/writer, malformed files ---===//

#include "runtime/model/Safetensors.h"
#include "runtime/model/TestModels.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <unistd.h>

using namespace tern;
using namespace tern::testmodels;

namespace {

// Not inlined: GCC 12 at -O3 reports a false -Wstringop-overflow when it
// inlines this into a loop over small sizes.
[[gnu::noinline]] std::vector<uint8_t> iota(size_t n, uint8_t start = 0) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<uint8_t>(start + i);
  return v;
}

SafetensorsFileOrError parseBytes(std::vector<uint8_t> bytes,
                                  const std::string &name = "t.safetensors") {
  return SafetensorsFile::parse(MappedFile::fromBuffer(std::move(bytes), name));
}

/// A file from raw header text and data bytes (no padding).
std::vector<uint8_t> rawFile(const std::string &header,
                             const std::vector<uint8_t> &data = {}) {
  std::vector<uint8_t> out(8);
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<uint8_t>(n >> (8 * i));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

/// Parses `header` over `data`; expects an error with all `words` (and the
/// file name).
void expectHeaderError(const std::string &header,
                       const std::vector<uint8_t> &data,
                       std::initializer_list<const char *> words) {
  SafetensorsFileOrError f = parseBytes(rawFile(header, data), "bad.st");
  ASSERT_FALSE(f.ok()) << header;
  EXPECT_EQ(f.error.rfind("bad.st: ", 0), 0u) << f.error;
  EXPECT_TRUE(hasWords(f.error, words)) << "header: " << header;
}

std::vector<uint8_t> readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

/// A writer with a mix of tensors, one of them produced by a callback.
SafetensorsWriter sampleWriter(int *fillCalls) {
  SafetensorsWriter w;
  w.addMetadata("format", "pt");
  w.addMetadata("note", "quote \" backslash \\ newline \n done");
  w.addTensor("a.weight", SafetensorsDType::BF16, {3, 5}, iota(30, 1));
  w.addTensor("scalar", SafetensorsDType::F32, {}, iota(4, 100));
  w.addTensor("empty", SafetensorsDType::I64, {0, 7}, {});
  w.addTensor("odd \"name\"\\\n\xC3\xA9", SafetensorsDType::U8, {3},
              iota(3, 50));
  w.addTensor("big.filled", SafetensorsDType::U16, {64, 33}, 64 * 33 * 2,
              [fillCalls](uint8_t *dst) {
                ++*fillCalls;
                for (int i = 0; i < 64 * 33 * 2; ++i)
                  dst[i] = static_cast<uint8_t>(i * 7);
              });
  w.addTensor("tail", SafetensorsDType::F64, {2}, iota(16, 200));
  return w;
}

} // namespace

TEST(SafetensorsTest, DTypeTable) {
  EXPECT_EQ(safetensorsDTypeSize(SafetensorsDType::BOOL), 1u);
  EXPECT_EQ(safetensorsDTypeSize(SafetensorsDType::BF16), 2u);
  EXPECT_EQ(safetensorsDTypeSize(SafetensorsDType::U32), 4u);
  EXPECT_EQ(safetensorsDTypeSize(SafetensorsDType::U64), 8u);
  EXPECT_EQ(safetensorsDTypeFromName("F16"), SafetensorsDType::F16);
  EXPECT_EQ(safetensorsDTypeFromName("f16"), std::nullopt);
  EXPECT_EQ(safetensorsDTypeFromName("F8_E4M3"), std::nullopt);
  EXPECT_STREQ(safetensorsDTypeName(SafetensorsDType::I16), "I16");
  EXPECT_EQ(safetensorsDTypeList(),
            "BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64");
}

TEST(SafetensorsTest, RoundTripThroughTheFileSystem) {
  int fillCalls = 0;
  SafetensorsWriter w = sampleWriter(&fillCalls);
  EXPECT_EQ(w.numTensors(), 6u);
  const std::string path = tempDir() + "/round.safetensors";
  ASSERT_EQ(w.writeFile(path), "");
  EXPECT_EQ(fillCalls, 1);

  SafetensorsFileOrError f = SafetensorsFile::open(path);
  ASSERT_TRUE(f.ok()) << f.error;
  EXPECT_EQ(f->path(), path);
  EXPECT_EQ(f->dataOffset() % 8, 0u); // header padded with spaces
  EXPECT_EQ(f->metadata().at("format"), "pt");
  EXPECT_EQ(f->metadata().at("note"), "quote \" backslash \\ newline \n done");

  // Laid out in the order added, back to back.
  const std::vector<std::string> order = {
      "a.weight",   "scalar", "empty", "odd \"name\"\\\n\xC3\xA9",
      "big.filled", "tail"};
  uint64_t offset = 0;
  for (const std::string &name : order) {
    const SafetensorsTensorInfo *t = f->findTensor(name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->offset, offset) << name;
    EXPECT_EQ(t->data, f->mapping()->data() + f->dataOffset() + offset);
    offset += t->byteSize;
  }
  EXPECT_EQ(f->dataOffset() + offset, f->mapping()->size());
  ASSERT_EQ(f->tensors().size(), 6u);
  EXPECT_EQ(f->tensors()[0].name, "a.weight");

  const SafetensorsTensorInfo *a = f->findTensor("a.weight");
  EXPECT_EQ(a->dtype, SafetensorsDType::BF16);
  EXPECT_STREQ(a->dtypeName(), "BF16");
  EXPECT_EQ(a->shape, (std::vector<int64_t>{3, 5}));
  EXPECT_EQ(a->numElements, 15);
  EXPECT_EQ(std::vector<uint8_t>(a->data, a->data + 30), iota(30, 1));
  const SafetensorsTensorInfo *scalar = f->findTensor("scalar");
  EXPECT_TRUE(scalar->shape.empty());
  EXPECT_EQ(scalar->numElements, 1);
  EXPECT_EQ(std::vector<uint8_t>(scalar->data, scalar->data + 4), iota(4, 100));
  const SafetensorsTensorInfo *empty = f->findTensor("empty");
  EXPECT_EQ(empty->numElements, 0);
  EXPECT_EQ(empty->byteSize, 0u);
  const SafetensorsTensorInfo *big = f->findTensor("big.filled");
  ASSERT_EQ(big->byteSize, 64u * 33 * 2);
  for (int i = 0; i < 64 * 33 * 2; ++i)
    ASSERT_EQ(big->data[i], static_cast<uint8_t>(i * 7)) << i;
  EXPECT_EQ(f->findTensor("missing"), nullptr);

  // serialize() gives the same bytes (and calls the callback again).
  OrError<std::vector<uint8_t>> bytes = w.serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.error;
  EXPECT_EQ(fillCalls, 2);
  EXPECT_EQ(*bytes, readAll(path));

  // The header is JSON a third party can read.
  nlohmann::json header;
  const std::string_view text(reinterpret_cast<const char *>(bytes->data()) + 8,
                              static_cast<size_t>(f->headerSize()));
  ASSERT_EQ(parseJsonNoThrow(text, header), "");
  EXPECT_EQ(header["a.weight"]["data_offsets"], nlohmann::json::array({0, 30}));
  EXPECT_EQ(header["__metadata__"]["format"], "pt");

  // Copies share the mapping and stay valid without the original.
  SafetensorsFile copy = *f;
  f = SafetensorsFileOrError::failure("dropped");
  std::remove(path.c_str());
  EXPECT_EQ(copy.findTensor("tail")->data[0], 200);
}

TEST(SafetensorsTest, EmptyFileWithNoTensors) {
  SafetensorsWriter w;
  OrError<std::vector<uint8_t>> bytes = w.serialize();
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->size(), 16u); // "{}" padded to 8
  SafetensorsFileOrError f = parseBytes(*bytes);
  ASSERT_TRUE(f.ok()) << f.error;
  EXPECT_TRUE(f->tensors().empty());
  EXPECT_TRUE(f->metadata().empty());
}

TEST(SafetensorsTest, WriterRejectsBadTensors) {
  auto error = [](SafetensorsWriter &w) {
    OrError<std::string> h = w.header();
    EXPECT_FALSE(h.ok());
    return h.error;
  };
  {
    SafetensorsWriter w;
    w.addTensor("x", SafetensorsDType::F32, {2, 3}, iota(20));
    EXPECT_TRUE(
        hasWords(error(w), {"'x'", "20 bytes", "[2, 3]", "F32", "needs 24"}));
  }
  {
    SafetensorsWriter w;
    w.addTensor("x", SafetensorsDType::U8, {1}, iota(1));
    w.addTensor("x", SafetensorsDType::U8, {1}, iota(1));
    EXPECT_TRUE(hasWords(error(w), {"'x'", "added twice"}));
  }
  {
    SafetensorsWriter w;
    w.addTensor("", SafetensorsDType::U8, {1}, iota(1));
    EXPECT_TRUE(hasWords(error(w), {"empty name"}));
  }
  {
    SafetensorsWriter w;
    w.addTensor("__metadata__", SafetensorsDType::U8, {1}, iota(1));
    EXPECT_TRUE(hasWords(error(w), {"__metadata__"}));
  }
  {
    SafetensorsWriter w;
    w.addTensor("bad\xFF", SafetensorsDType::U8, {1}, iota(1));
    EXPECT_TRUE(hasWords(error(w), {"not valid UTF-8"}));
  }
  {
    SafetensorsWriter w;
    w.addTensor("neg", SafetensorsDType::U8, {-1}, {});
    EXPECT_TRUE(hasWords(error(w), {"'neg'", "bad shape"}));
  }
  {
    SafetensorsWriter w;
    w.addTensor("x", SafetensorsDType::U8, {1}, iota(1));
    const std::string path = tempDir() + "/no-such-dir/x.safetensors";
    EXPECT_TRUE(hasWords(w.writeFile(path), {path.c_str(), "cannot create"}));
    w.addTensor("y", SafetensorsDType::U8, {2}, iota(1));
    const std::string bad = tempDir() + "/bad-writer.safetensors";
    EXPECT_TRUE(hasWords(w.writeFile(bad), {bad.c_str(), "'y'"}));
    EXPECT_FALSE(std::ifstream(bad).good()); // nothing written
  }
}

TEST(SafetensorsTest, MalformedHeaders) {
  const std::vector<uint8_t> data = iota(64);
  // Too short / length beyond the file.
  for (size_t n = 0; n < 8; ++n) {
    SafetensorsFileOrError f = parseBytes(iota(n), "short.st");
    EXPECT_TRUE(hasWords(f.error, {"short.st", "too short"})) << n;
  }
  {
    std::vector<uint8_t> b = rawFile("{}");
    b[0] = 3; // 3 bytes of header, 2 left
    EXPECT_TRUE(hasWords(parseBytes(b, "long.st").error,
                         {"long.st", "header length 3 exceeds the 2 bytes"}));
    b[7] = 0x80; // a huge length
    EXPECT_TRUE(
        hasWords(parseBytes(b, "long.st").error, {"long.st", "exceeds"}));
  }
  expectHeaderError("{\"a\": ", data, {"not valid JSON", "line 1"});
  expectHeaderError("", data, {"not valid JSON"});
  expectHeaderError("[1, 2]", data, {"not a JSON object", "array"});
  // 100,000 levels overflowed the stack when the value was quoted.
  expectHeaderError("{\"t\": " + std::string(100000, '[') +
                        std::string(100000, ']') + "}",
                    data, {"header is not valid", "deeper than 128 levels"});
  expectHeaderError("{} trailing", data, {"not valid JSON"});
  expectHeaderError(
      R"({"x": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]},)"
      R"( "x": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}})",
      data, {"'x' twice"});
  expectHeaderError(R"({"__metadata__": [1]})", data,
                    {"'__metadata__'", "not an object"});
  expectHeaderError(R"({"__metadata__": {"k": 5}})", data,
                    {"'__metadata__' entry 'k'", "not a string"});
  expectHeaderError(R"({"t": 5})", data, {"tensor 't'", "not described"});
  expectHeaderError(R"({"t": {"shape": [1], "data_offsets": [0, 1]}})", data,
                    {"tensor 't'", "no 'dtype'"});
  expectHeaderError(
      R"({"t": {"dtype": 7, "shape": [1], "data_offsets": [0, 1]}})", data,
      {"tensor 't'", "'dtype' is not a string"});
  expectHeaderError(
      R"({"t": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}})",
      data, {"tensor 't'", "unsupported dtype 'F8_E4M3'", "BF16"});
  expectHeaderError(R"({"t": {"dtype": "U8", "data_offsets": [0, 1]}})", data,
                    {"tensor 't'", "no 'shape'"});
  expectHeaderError(
      R"({"t": {"dtype": "U8", "shape": 4, "data_offsets": [0, 4]}})", data,
      {"tensor 't'", "'shape' is not an array"});
  expectHeaderError(
      R"({"t": {"dtype": "U8", "shape": [2, -2], "data_offsets": [0, 4]}})",
      data, {"tensor 't'", "-2", "not a non-negative integer"});
  expectHeaderError(
      R"({"t": {"dtype": "U8", "shape": [2.5], "data_offsets": [0, 4]}})", data,
      {"tensor 't'", "2.5"});
  expectHeaderError(
      R"({"t": {"dtype": "U8", "shape": [18446744073709551615], "data_offsets": [0, 4]}})",
      data, {"tensor 't'", "not a non-negative integer"});
  expectHeaderError(R"({"t": {"dtype": "F64", "shape": [4294967296, )"
                    R"(4294967296], "data_offsets": [0, 4]}})",
                    data, {"tensor 't'", "too many elements"});
  expectHeaderError(R"({"t": {"dtype": "F64", "shape": [4611686018427387904],)"
                    R"( "data_offsets": [0, 4]}})",
                    data, {"tensor 't'", "too many elements"});
  expectHeaderError(R"({"t": {"dtype": "U8", "shape": [4]}})", data,
                    {"tensor 't'", "no 'data_offsets'"});
  expectHeaderError(
      R"({"t": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4, 8]}})",
      data, {"tensor 't'", "not a pair"});
  expectHeaderError(
      R"({"t": {"dtype": "U8", "shape": [4], "data_offsets": [-4, 0]}})", data,
      {"tensor 't'", "not a pair"});
  expectHeaderError(
      R"({"t": {"dtype": "U8", "shape": [4], "data_offsets": [8, 4]}})", data,
      {"tensor 't'", "ends before it begins"});
  expectHeaderError(
      R"({"t": {"dtype": "U8", "shape": [4], "data_offsets": [62, 66]}})", data,
      {"tensor 't'", "[62, 66]", "past the end", "64 bytes"});
  expectHeaderError(
      R"({"t": {"dtype": "U8", "shape": [4], "data_offsets": [18446744073709551615, 18446744073709551615]}})",
      data, {"tensor 't'"});
  expectHeaderError(
      R"({"t": {"dtype": "F32", "shape": [4], "data_offsets": [0, 12]}})", data,
      {"tensor 't'", "hold 12 bytes", "[4] of F32 needs 16"});
  expectHeaderError(
      R"({"a": {"dtype": "U8", "shape": [8], "data_offsets": [0, 8]},)"
      R"( "b": {"dtype": "U8", "shape": [8], "data_offsets": [4, 12]}})",
      data, {"'a'", "'b'", "overlap", "[0, 8)", "[4, 12)"});
  // Small tensors inside a big one.
  expectHeaderError(
      R"({"big": {"dtype": "U8", "shape": [32], "data_offsets": [0, 32]},)"
      R"( "mid": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]},)"
      R"( "in": {"dtype": "U8", "shape": [2], "data_offsets": [20, 22]}})",
      data, {"'big'", "overlap"});
  // Zero-size tensors never overlap; gaps are tolerated.
  SafetensorsFileOrError ok = parseBytes(rawFile(
      R"({"z": {"dtype": "U8", "shape": [0], "data_offsets": [4, 4]},)"
      R"( "a": {"dtype": "U8", "shape": [8], "data_offsets": [0, 8]},)"
      R"( "b": {"dtype": "U8", "shape": [8], "data_offsets": [16, 24]}})",
      data));
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ(ok->tensors()[1].name, "z"); // ordered by offset
}

TEST(SafetensorsTest, HeaderOver100MB) {
  // A sparse file: the header length says 100 MB and the file is that big.
  const std::string path = tempDir() + "/huge-header.safetensors";
  const uint64_t n = 100ull * 1000 * 1000;
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    for (int i = 0; i < 8; ++i)
      out.put(static_cast<char>(n >> (8 * i)));
  }
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(n + 8)), 0);
  SafetensorsFileOrError f = SafetensorsFile::open(path);
  EXPECT_TRUE(hasWords(f.error, {path.c_str(), "100 MB"}));
  std::remove(path.c_str());
}

TEST(SafetensorsTest, TruncatedAtEveryOffset) {
  int calls = 0;
  OrError<std::vector<uint8_t>> full = sampleWriter(&calls).serialize();
  ASSERT_TRUE(full.ok());
  for (size_t cut = 0; cut < full->size(); ++cut) {
    SafetensorsFileOrError f = parseBytes(
        std::vector<uint8_t>(full->begin(), full->begin() + cut), "cut.st");
    ASSERT_FALSE(f.ok()) << "cut at " << cut;
    ASSERT_EQ(f.error.rfind("cut.st: ", 0), 0u) << f.error;
  }
  // And through the file system.
  const std::string path = tempDir() + "/cut.safetensors";
  for (size_t cut : {size_t(5), size_t(20), full->size() - 1}) {
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char *>(full->data()),
                static_cast<std::streamsize>(cut));
    }
    SafetensorsFileOrError f = SafetensorsFile::open(path);
    EXPECT_TRUE(hasWords(f.error, {path.c_str()})) << cut;
  }
  std::remove(path.c_str());
  EXPECT_TRUE(
      hasWords(SafetensorsFile::open(path).error, {path.c_str(), "not found"}));
}

TEST(SafetensorsTest, CorruptHeadersNeverCrash) {
  int calls = 0;
  OrError<std::vector<uint8_t>> full = sampleWriter(&calls).serialize();
  ASSERT_TRUE(full.ok());
  SafetensorsFileOrError good = parseBytes(*full);
  ASSERT_TRUE(good.ok());
  const uint64_t header = good->dataOffset();
  uint32_t s = 7;
  for (int iter = 0; iter < 2000; ++iter) {
    std::vector<uint8_t> b = *full;
    for (int k = 0; k < 3; ++k) {
      s ^= s << 13, s ^= s >> 17, s ^= s << 5;
      b[s % header] = static_cast<uint8_t>(s >> 24);
    }
    SafetensorsFileOrError f = parseBytes(std::move(b));
    if (!f.ok()) {
      EXPECT_FALSE(f.error.empty());
    }
  }
}

TEST(SafetensorsTest, JsonHelpers) {
  nlohmann::json j;
  EXPECT_EQ(parseJsonNoThrow("{\"a\": [1, 2.5, -3, 18446744073709551615]}", j),
            "");
  EXPECT_EQ(jsonInt64(j["a"][0]), 1);
  EXPECT_EQ(jsonInt64(j["a"][1]), std::nullopt);
  EXPECT_EQ(jsonInt64(j["a"][2]), -3);
  EXPECT_EQ(jsonInt64(j["a"][3]), std::nullopt);
  EXPECT_EQ(jsonInt64(nlohmann::json(true)), std::nullopt);
  EXPECT_EQ(quoteJson(nlohmann::json(std::string(100, 'x'))).size(), 60u);
  std::string error = parseJsonNoThrow("{\"a\": tru}", j);
  EXPECT_TRUE(hasWords(error, {"line 1", "column"})) << error;
  EXPECT_EQ(error.find("[json.exception"), std::string::npos);
  EXPECT_FALSE(parseJsonNoThrow("\"\xFF\"", j).empty()); // invalid UTF-8
  // Deep nesting is refused before parsing (runtime/support/JsonTest.cpp).
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_TRUE(hasWords(parseJsonNoThrow(deep, j), {"deeper than 128"}));
}
