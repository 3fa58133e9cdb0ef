//===- GgufTest.cpp - GGUF reader and writer tests ------------------------===//

#include "runtime/model/Gguf.h"
#include "runtime/model/GgufWriter.h"
#include "runtime/model/TestModels.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sys/stat.h>

using namespace tern;
using namespace tern::testmodels;

namespace {

GgufFileOrError parseBytes(std::vector<uint8_t> bytes,
                           const std::string &name = "test.gguf") {
  return GgufFile::parse(MappedFile::fromBuffer(std::move(bytes), name));
}

std::vector<uint8_t> f32Data(size_t n) {
  std::vector<uint8_t> b(n * 4);
  for (size_t i = 0; i < n; ++i) {
    const float v = float(i) * 0.5f;
    std::memcpy(b.data() + 4 * i, &v, 4);
  }
  return b;
}

/// A small valid file: a few keys of every kind and two tensors.
GgufWriter smallWriter() {
  GgufWriter w;
  w.addString("general.architecture", "bitnet-b1.58");
  w.addString("general.name", "small");
  w.addUint32("small.u32", 7);
  w.addInt32("small.i32", -5);
  w.addUint64("small.u64", 1ull << 40);
  w.addInt8("small.i8", -3);
  w.addUint16("small.u16", 65535);
  w.addFloat32("small.f32", 0.25f);
  w.addFloat64("small.f64", 1e300);
  w.addBool("small.flag", true);
  w.addStringArray("small.strings", {"a", "b\nc", ""});
  w.addInt32Array("small.ints", {1, -2, 3});
  w.addFloat32Array("small.floats", {0.5f, 1.5f});
  w.addTensor("tensor_a", {8, 2}, GgmlType::F32, f32Data(16));
  w.addTensor("tensor_b", {3}, GgmlType::F32, f32Data(3));
  return w;
}

/// Offsets of the fields of tensor info `name` (found by its bytes).
struct InfoFields {
  size_t nameLen, nDims, firstDim, type, offset;
};
InfoFields infoFields(const std::vector<uint8_t> &b, const std::string &name,
                      uint32_t nDims) {
  const size_t at = findBytes(b, name);
  InfoFields f;
  f.nameLen = at - 8;
  f.nDims = at + name.size();
  f.firstDim = f.nDims + 4;
  f.type = f.firstDim + 8 * nDims;
  f.offset = f.type + 4;
  return f;
}

std::string parseError(std::vector<uint8_t> bytes) {
  GgufFileOrError g = parseBytes(std::move(bytes));
  EXPECT_FALSE(g.ok());
  return g.error;
}

} // namespace

TEST(GgufTest, ParsesWriterOutput) {
  GgufFileOrError g = parseBytes(smallWriter().serialize());
  ASSERT_TRUE(g.ok()) << g.error;
  EXPECT_EQ(g->version(), 3u);
  EXPECT_EQ(g->alignment(), 32u);
  EXPECT_EQ(g->dataOffset() % 32, 0u);
  EXPECT_EQ(g->metadata().size(), 13u);
  EXPECT_EQ(g->metadata()[0].key, "general.architecture");

  EXPECT_EQ(*g->getString("general.name"), "small");
  EXPECT_EQ(*g->getU32("small.u32"), 7u);
  EXPECT_EQ(*g->getI32("small.i32"), -5);
  EXPECT_EQ(*g->getU64("small.u64"), 1ull << 40);
  EXPECT_EQ(*g->getI64("small.i8"), -3);
  EXPECT_EQ(*g->getU32("small.u16"), 65535u);
  EXPECT_EQ(*g->getF32("small.f32"), 0.25f);
  EXPECT_EQ(*g->getF64("small.f64"), 1e300);
  EXPECT_TRUE(*g->getBool("small.flag"));
  EXPECT_EQ(*g->getStringArray("small.strings"),
            (std::vector<std::string>{"a", "b\nc", ""}));
  EXPECT_EQ(*g->getI32Array("small.ints"), (std::vector<int32_t>{1, -2, 3}));
  EXPECT_EQ(*g->getF32Array("small.floats"), (std::vector<float>{0.5f, 1.5f}));

  ASSERT_EQ(g->tensors().size(), 2u);
  const GgufTensorInfo *a = g->findTensor("tensor_a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dims, (std::vector<int64_t>{8, 2}));
  EXPECT_EQ(a->numElements, 16);
  EXPECT_EQ(*a->byteSize, 64u);
  EXPECT_EQ(a->offset, 0u);
  EXPECT_EQ(a->fileOffset, g->dataOffset());
  float v;
  std::memcpy(&v, a->data + 4 * 3, 4);
  EXPECT_EQ(v, 1.5f);
  const GgufTensorInfo *b = g->findTensor("tensor_b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->offset, 64u);
  EXPECT_EQ(g->findTensor("nope"), nullptr);
}

TEST(GgufTest, AccessorErrorsNameKeyAndType) {
  GgufFileOrError g = parseBytes(smallWriter().serialize());
  ASSERT_TRUE(g.ok()) << g.error;
  EXPECT_TRUE(hasWords(g->getU32("general.name").error,
                       {"test.gguf", "general.name", "STRING", "integer"}));
  EXPECT_TRUE(hasWords(g->getString("missing.key").error,
                       {"test.gguf", "missing.key", "missing"}));
  EXPECT_TRUE(hasWords(g->getU32("small.i32").error,
                       {"small.i32", "-5", "does not fit", "UINT32"}));
  EXPECT_TRUE(hasWords(g->getI32("small.u64").error,
                       {"small.u64", "does not fit", "INT32"}));
  EXPECT_TRUE(hasWords(g->getF32("small.f64").error,
                       {"small.f64", "does not fit", "FLOAT32"}));
  EXPECT_TRUE(hasWords(g->getBool("small.u32").error, {"small.u32", "BOOL"}));
  EXPECT_TRUE(hasWords(g->getStringArray("small.ints").error,
                       {"small.ints", "ARRAY of INT32", "ARRAY of STRING"}));
  EXPECT_TRUE(hasWords(g->getI32Array("small.strings").error,
                       {"small.strings", "ARRAY of STRING"}));
  EXPECT_TRUE(
      hasWords(g->getF32Array("small.u32").error, {"small.u32", "UINT32"}));
}

TEST(GgufTest, Summaries) {
  GgufFileOrError g = parseBytes(smallWriter().serialize());
  ASSERT_TRUE(g.ok()) << g.error;
  auto summary = [&](const char *key) {
    return summarizeGgufValue(g->findKey(key)->value, 2);
  };
  EXPECT_EQ(summary("general.name"), "\"small\"");
  EXPECT_EQ(summary("small.u32"), "7");
  EXPECT_EQ(summary("small.i32"), "-5");
  EXPECT_EQ(summary("small.f32"), "0.25");
  EXPECT_EQ(summary("small.flag"), "true");
  EXPECT_EQ(summary("small.strings"), "[STRING x 3] [\"a\", \"b\\x0Ac\", ...]");
  EXPECT_EQ(summary("small.ints"), "[INT32 x 3] [1, -2, ...]");
  EXPECT_EQ(summary("small.floats"), "[FLOAT32 x 2] [0.5, 1.5]");
  // Every entry has a summary (what `tern inspect` prints).
  for (const GgufKeyValue &kv : g->metadata())
    EXPECT_FALSE(summarizeGgufValue(kv.value).empty()) << kv.key;
}

TEST(GgufTest, Version2AndCustomAlignment) {
  GgufWriter w(2);
  w.setAlignment(64);
  w.addString("general.architecture", "x");
  w.addTensor("t1", {3}, GgmlType::F32, f32Data(3));
  w.addTensor("t2", {5}, GgmlType::F32, f32Data(5));
  GgufFileOrError g = parseBytes(w.serialize());
  ASSERT_TRUE(g.ok()) << g.error;
  EXPECT_EQ(g->version(), 2u);
  EXPECT_EQ(g->alignment(), 64u);
  EXPECT_EQ(g->dataOffset() % 64, 0u);
  EXPECT_EQ(g->findTensor("t2")->offset, 64u);
}

TEST(GgufTest, NoTensorsNoDataSection) {
  GgufWriter w;
  w.addString("general.architecture", "x");
  std::vector<uint8_t> b = w.serialize();
  // Drop the padding too: a file without tensors may end after metadata.
  const size_t end = 24 + 8 + 20 + 4 + 8 + 1;
  ASSERT_GE(b.size(), end);
  b.resize(end);
  GgufFileOrError g = parseBytes(b);
  ASSERT_TRUE(g.ok()) << g.error;
  EXPECT_TRUE(g->tensors().empty());
}

TEST(GgufTest, TypeNamesAndSizes) {
  EXPECT_STREQ(ggmlTypeName(36), "I2_S");
  EXPECT_STREQ(ggmlTypeName(34), "TQ1_0");
  EXPECT_STREQ(ggmlTypeName(35), "TQ2_0");
  EXPECT_STREQ(ggmlTypeName(14), "Q6_K");
  EXPECT_STREQ(ggmlTypeName(39), "TL2/MXFP4");
  EXPECT_EQ(ggmlTypeName(99), nullptr);
  EXPECT_EQ(ggmlTypeDescription(99), "unknown type 99");
  EXPECT_EQ(*ggmlTensorBytes(36, {256, 4}), 256u + 32u);
  EXPECT_EQ(*ggmlTensorBytes(35, {512, 3}), 6u * 66u);
  EXPECT_EQ(*ggmlTensorBytes(34, {256, 2}), 2u * 54u);
  EXPECT_EQ(*ggmlTensorBytes(8, {64, 2}), 4u * 34u);
  EXPECT_EQ(*ggmlTensorBytes(30, {7}), 14u);
  EXPECT_TRUE(hasWords(ggmlTensorBytes(35, {100}).error,
                       {"100", "TQ2_0", "block size 256"}));
  EXPECT_TRUE(
      hasWords(ggmlTensorBytes(14, {256}).error, {"Q6_K", "not known"}));
}

//===----------------------------------------------------------------------===//
// Malformed files
//===----------------------------------------------------------------------===//

TEST(GgufMalformedTest, MissingFileAndDirectory) {
  GgufFileOrError g = GgufFile::open("/nonexistent-dir/model.gguf");
  EXPECT_TRUE(hasWords(g.error, {"/nonexistent-dir/model.gguf", "not found"}));
  g = GgufFile::open(tempDir());
  EXPECT_TRUE(hasWords(g.error, {tempDir().c_str(), "directory"}));
  // A FIFO is rejected without waiting for a writer.
  const std::string fifo = tempDir() + "/fifo.gguf";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  g = GgufFile::open(fifo);
  EXPECT_TRUE(hasWords(g.error, {fifo.c_str(), "not a regular file"}));
  std::remove(fifo.c_str());
}

TEST(GgufMalformedTest, TooShort) {
  const std::string path = tempDir() + "/empty.gguf";
  { std::ofstream(path, std::ios::binary); }
  GgufFileOrError g = GgufFile::open(path);
  EXPECT_TRUE(hasWords(g.error, {path.c_str(), "too short"}));
  std::remove(path.c_str());

  EXPECT_TRUE(hasWords(parseError({'G', 'G'}), {"test.gguf", "too short"}));
  EXPECT_TRUE(hasWords(parseError({'G', 'G', 'U', 'F', 3, 0, 0}),
                       {"test.gguf", "truncated", "header"}));
}

TEST(GgufMalformedTest, BadMagic) {
  std::vector<uint8_t> b = smallWriter().serialize();
  b[3] = 'G';
  EXPECT_TRUE(hasWords(parseError(b), {"test.gguf", "bad magic", "47 47 55 47",
                                       "\"GGUG\"", "47 47 55 46"}));
}

TEST(GgufMalformedTest, UnsupportedVersion) {
  std::vector<uint8_t> b = smallWriter().serialize();
  poke<uint32_t>(b, 4, 1);
  EXPECT_TRUE(hasWords(parseError(b), {"test.gguf", "version 1"}));
  poke<uint32_t>(b, 4, 4);
  EXPECT_TRUE(hasWords(parseError(b), {"unsupported GGUF version 4"}));
  poke<uint32_t>(b, 4, 0x03000000);
  EXPECT_TRUE(hasWords(parseError(b), {"big-endian"}));
}

TEST(GgufMalformedTest, AbsurdCounts) {
  std::vector<uint8_t> b = smallWriter().serialize();
  poke<uint64_t>(b, 8, 2000000);
  EXPECT_TRUE(hasWords(parseError(b), {"tensor count 2000000", "absurd"}));
  b = smallWriter().serialize();
  poke<uint64_t>(b, 16, ~0ull);
  EXPECT_TRUE(hasWords(parseError(b), {"metadata count", "absurd"}));
  // A tensor count that passes the limit but cannot fit in the file.
  b = smallWriter().serialize();
  poke<uint64_t>(b, 8, 900000);
  EXPECT_TRUE(hasWords(parseError(b), {"tensor count 900000", "cannot fit"}));
}

TEST(GgufMalformedTest, HugeStringLengths) {
  // The first key's length is at offset 24.
  std::vector<uint8_t> b = smallWriter().serialize();
  poke<uint64_t>(b, 24, 1ull << 60);
  EXPECT_TRUE(hasWords(parseError(b), {"test.gguf", "metadata entry #0 key",
                                       "string length 1152921504606846976",
                                       "runs past the end"}));
  // A string value's length: "general.name" key, type, then the length.
  b = smallWriter().serialize();
  const size_t key = findBytes(b, "general.name");
  poke<uint64_t>(b, key + 12 + 4, ~0ull);
  EXPECT_TRUE(hasWords(
      parseError(b), {"'general.name'", "string length", "runs past the end"}));
  // A tensor name's length.
  b = smallWriter().serialize();
  poke<uint64_t>(b, infoFields(b, "tensor_b", 1).nameLen, 1ull << 40);
  EXPECT_TRUE(hasWords(parseError(b), {"tensor #1 name", "string length"}));
}

TEST(GgufMalformedTest, HugeArrayCounts) {
  std::vector<uint8_t> b = smallWriter().serialize();
  const size_t ints = findBytes(b, "small.ints");
  // key, type ARRAY, element type, count.
  poke<uint64_t>(b, ints + 10 + 4 + 4, 1ull << 62);
  EXPECT_TRUE(hasWords(parseError(b), {"'small.ints'", "array of", "INT32",
                                       "runs past the end"}));
  b = smallWriter().serialize();
  const size_t strs = findBytes(b, "small.strings");
  poke<uint64_t>(b, strs + 13 + 4 + 4, 1ull << 62);
  EXPECT_TRUE(hasWords(parseError(b), {"'small.strings'", "cannot fit"}));
  b = smallWriter().serialize();
  poke<uint64_t>(b, strs + 13 + 4 + 4 + 8, 1ull << 50); // First element.
  EXPECT_TRUE(
      hasWords(parseError(b), {"'small.strings' element 0", "string length"}));
}

TEST(GgufMalformedTest, UnknownValueTypes) {
  std::vector<uint8_t> b = smallWriter().serialize();
  const size_t key = findBytes(b, "small.u32");
  poke<uint32_t>(b, key + 9, 13);
  EXPECT_TRUE(
      hasWords(parseError(b), {"'small.u32'", "unknown value type 13"}));
  b = smallWriter().serialize();
  const size_t ints = findBytes(b, "small.ints");
  poke<uint32_t>(b, ints + 10 + 4, 77);
  EXPECT_TRUE(hasWords(parseError(b),
                       {"'small.ints'", "unknown array element type 77"}));
}

TEST(GgufMalformedTest, InvalidBool) {
  std::vector<uint8_t> b = smallWriter().serialize();
  const size_t key = findBytes(b, "small.flag");
  b[key + 10 + 4] = 2;
  EXPECT_TRUE(
      hasWords(parseError(b), {"'small.flag'", "invalid BOOL value 2"}));
}

TEST(GgufMalformedTest, NestedArrays) {
  // An array of arrays of INT8 is fine.
  auto nested = [](int depth) {
    std::vector<uint8_t> p;
    auto put32 = [&](uint32_t v) {
      p.insert(p.end(), reinterpret_cast<uint8_t *>(&v),
               reinterpret_cast<uint8_t *>(&v) + 4);
    };
    auto put64 = [&](uint64_t v) {
      p.insert(p.end(), reinterpret_cast<uint8_t *>(&v),
               reinterpret_cast<uint8_t *>(&v) + 8);
    };
    for (int d = 1; d < depth; ++d) {
      put32(static_cast<uint32_t>(GgufValueType::Array));
      put64(1);
    }
    put32(static_cast<uint32_t>(GgufValueType::Int8));
    put64(2);
    p.push_back(1);
    p.push_back(2);
    return p;
  };
  GgufWriter w;
  w.addRaw("nested.ok", GgufValueType::Array, nested(2));
  GgufFileOrError g = parseBytes(w.serialize());
  ASSERT_TRUE(g.ok()) << g.error;
  EXPECT_EQ(summarizeGgufValue(g->findKey("nested.ok")->value),
            "[ARRAY x 1] [[INT8 x 2]]");

  GgufWriter deep;
  deep.addRaw("nested.deep", GgufValueType::Array, nested(40));
  EXPECT_TRUE(hasWords(parseError(deep.serialize()),
                       {"'nested.deep'", "nested deeper"}));
}

TEST(GgufMalformedTest, DuplicateKeyAndEmptyKey) {
  GgufWriter w = smallWriter();
  w.addUint32("small.u32", 8);
  EXPECT_TRUE(hasWords(parseError(w.serialize()),
                       {"duplicate metadata key 'small.u32'", "#2", "#13"}));
  GgufWriter e;
  e.addUint32("", 1);
  EXPECT_TRUE(hasWords(parseError(e.serialize()), {"#0", "empty key"}));
}

TEST(GgufMalformedTest, BadAlignment) {
  GgufWriter w = smallWriter();
  w.addUint32("general.alignment", 48);
  EXPECT_TRUE(hasWords(parseError(w.serialize()),
                       {"general.alignment", "48", "power of two"}));
  GgufWriter s = smallWriter();
  s.addString("general.alignment", "32");
  EXPECT_TRUE(hasWords(parseError(s.serialize()),
                       {"general.alignment", "STRING", "UINT32"}));
}

TEST(GgufMalformedTest, BadDimensions) {
  std::vector<uint8_t> b = smallWriter().serialize();
  InfoFields f = infoFields(b, "tensor_a", 2);
  poke<uint32_t>(b, f.nDims, 9);
  EXPECT_TRUE(hasWords(parseError(b), {"'tensor_a'", "n_dims 9", "1 to 4"}));
  poke<uint32_t>(b, f.nDims, 0);
  EXPECT_TRUE(hasWords(parseError(b), {"'tensor_a'", "n_dims 0"}));

  b = smallWriter().serialize();
  poke<uint64_t>(b, f.firstDim + 8, 0);
  EXPECT_TRUE(hasWords(parseError(b), {"'tensor_a'", "dimension 1 is 0"}));
  poke<uint64_t>(b, f.firstDim + 8, 1ull << 62);
  EXPECT_TRUE(hasWords(parseError(b), {"'tensor_a'", "overflows int64"}));
  poke<uint64_t>(b, f.firstDim + 8, ~0ull);
  EXPECT_TRUE(hasWords(parseError(b), {"'tensor_a'", "absurd"}));
}

TEST(GgufMalformedTest, UnknownTensorType) {
  std::vector<uint8_t> b = smallWriter().serialize();
  poke<uint32_t>(b, infoFields(b, "tensor_a", 2).type, 99);
  EXPECT_TRUE(hasWords(parseError(b), {"test.gguf", "'tensor_a'",
                                       "unknown ggml tensor type id 99"}));
}

TEST(GgufMalformedTest, NameOnlyTypesParse) {
  // Q6_K and TL2/MXFP4 tensors are recognised (the loader rejects them).
  GgufWriter w;
  w.addTensor("q6", {256}, GgmlType::Q6_K, std::vector<uint8_t>(210));
  w.addTensor("tl2", {256}, GgmlType::TL2, std::vector<uint8_t>(64));
  GgufFileOrError g = parseBytes(w.serialize());
  ASSERT_TRUE(g.ok()) << g.error;
  EXPECT_FALSE(g->findTensor("q6")->byteSize.has_value());
  EXPECT_EQ(g->findTensor("tl2")->type, 39u);
}

TEST(GgufMalformedTest, BlockSizeMismatch) {
  GgufWriter w;
  w.addTensor("tq", {100, 2}, GgmlType::TQ2_0, std::vector<uint8_t>(66));
  EXPECT_TRUE(hasWords(parseError(w.serialize()),
                       {"'tq'", "TQ2_0", "not a multiple", "256"}));
}

TEST(GgufMalformedTest, MisalignedOffset) {
  std::vector<uint8_t> b = smallWriter().serialize();
  poke<uint64_t>(b, infoFields(b, "tensor_b", 1).offset, 68);
  EXPECT_TRUE(hasWords(parseError(b), {"'tensor_b'", "data offset 68",
                                       "misaligned", "alignment 32"}));
}

TEST(GgufMalformedTest, DataPastEnd) {
  std::vector<uint8_t> b = smallWriter().serialize();
  poke<uint64_t>(b, infoFields(b, "tensor_b", 1).offset, 1 << 20);
  EXPECT_TRUE(hasWords(parseError(b), {"'tensor_b'", "past the end"}));
  b = smallWriter().serialize();
  poke<uint64_t>(b, infoFields(b, "tensor_b", 1).firstDim, 1000);
  EXPECT_TRUE(hasWords(parseError(b),
                       {"'tensor_b'", "4000 bytes", "runs past the end"}));
}

TEST(GgufMalformedTest, OverlappingTensorData) {
  // tensor_a is 64 bytes at offset 0, tensor_b 12 bytes at 64.
  std::vector<uint8_t> b = smallWriter().serialize();
  poke<uint64_t>(b, infoFields(b, "tensor_b", 1).offset, 32);
  EXPECT_TRUE(hasWords(parseError(b), {"tensor 'tensor_b' (data bytes 32..44)",
                                       "overlaps tensor 'tensor_a' (0..64)"}));
  // The same start, both ways round.
  b = smallWriter().serialize();
  poke<uint64_t>(b, infoFields(b, "tensor_b", 1).offset, 0);
  EXPECT_TRUE(hasWords(parseError(b), {"overlaps"}));
}

TEST(GgufMalformedTest, DuplicateTensorAndEmptyName) {
  GgufWriter w = smallWriter();
  w.addTensor("tensor_a", {2}, GgmlType::F32, f32Data(2));
  EXPECT_TRUE(hasWords(parseError(w.serialize()),
                       {"duplicate tensor name 'tensor_a'", "#0", "#2"}));
  GgufWriter e;
  e.addTensor("", {2}, GgmlType::F32, f32Data(2));
  EXPECT_TRUE(hasWords(parseError(e.serialize()), {"tensor #0", "empty name"}));
}

TEST(GgufMalformedTest, EveryTruncationFails) {
  const std::vector<uint8_t> full = smallWriter().serialize();
  GgufFileOrError g = parseBytes(full);
  ASSERT_TRUE(g.ok()) << g.error;
  const GgufTensorInfo &last = g->tensors().back();
  const size_t end = static_cast<size_t>(last.fileOffset + *last.byteSize);
  for (size_t cut = 0; cut < end; ++cut) {
    std::vector<uint8_t> b(full.begin(), full.begin() + cut);
    GgufFileOrError t = parseBytes(std::move(b), "cut.gguf");
    ASSERT_FALSE(t.ok()) << "cut at " << cut;
    EXPECT_TRUE(hasWords(t.error, {"cut.gguf"})) << t.error;
  }
}

TEST(GgufMalformedTest, RandomCorruptionNeverCrashes) {
  // Flip bytes in the header region; each result is a clean success or a
  // clean error (ASan/UBSan builds check "clean").
  const std::vector<uint8_t> full = smallWriter().serialize();
  GgufFileOrError g = parseBytes(full);
  ASSERT_TRUE(g.ok());
  uint32_t s = 12345;
  int failures = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::vector<uint8_t> b = full;
    for (int k = 0; k < 3; ++k) {
      s ^= s << 13, s ^= s >> 17, s ^= s << 5;
      const size_t at = s % g->dataOffset();
      b[at] = static_cast<uint8_t>(s >> 24);
    }
    GgufFileOrError t = parseBytes(std::move(b));
    if (!t.ok()) {
      ++failures;
      EXPECT_FALSE(t.error.empty());
    } else {
      for (const GgufKeyValue &kv : t->metadata())
        (void)summarizeGgufValue(kv.value);
    }
  }
  EXPECT_GT(failures, 0);
}

TEST(GgufWriterTest, WriteFileRoundTrip) {
  const std::string path = tempDir() + "/small.gguf";
  GgufWriter w = smallWriter();
  ASSERT_EQ(w.writeFile(path), "");
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> disk((std::istreambuf_iterator<char>(in)),
                            std::istreambuf_iterator<char>());
  EXPECT_EQ(disk, w.serialize());
  GgufFileOrError g = GgufFile::open(path);
  ASSERT_TRUE(g.ok()) << g.error;
  EXPECT_EQ(g->path(), path);
  EXPECT_EQ(*g->getString("general.name"), "small");
  std::remove(path.c_str());
  EXPECT_TRUE(hasWords(w.writeFile("/nonexistent-dir/x.gguf"),
                       {"/nonexistent-dir/x.gguf", "cannot create"}));
}

TEST(GgufWriterTest, DeferredTensorsMatchImmediateOnes) {
  // The same tensors given as bytes and as fill callbacks serialize and
  // write identically; the callbacks run once per write.
  std::vector<uint8_t> a(40), b(7);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = static_cast<uint8_t>(3 * i + 1);
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = static_cast<uint8_t>(200 - i);
  GgufWriter now, later;
  now.addString("general.name", "deferred");
  later.addString("general.name", "deferred");
  now.addTensor("a", {10}, GgmlType::F32, a);
  now.addTensor("b", {7}, GgmlType::I8, b);
  int calls = 0;
  later.addTensorDeferred("a", {10}, GgmlType::F32, a.size(),
                          [&](uint8_t *d) {
                            ++calls;
                            std::memcpy(d, a.data(), a.size());
                          });
  later.addTensorDeferred("b", {7}, GgmlType::I8, b.size(), [&](uint8_t *d) {
    ++calls;
    std::memcpy(d, b.data(), b.size());
  });
  EXPECT_EQ(later.serialize(), now.serialize());
  EXPECT_EQ(calls, 2);
  const std::string path = tempDir() + "/deferred.gguf";
  ASSERT_EQ(later.writeFile(path), "");
  EXPECT_EQ(calls, 4);
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> disk((std::istreambuf_iterator<char>(in)),
                            std::istreambuf_iterator<char>());
  EXPECT_EQ(disk, now.serialize());
  GgufFileOrError g = GgufFile::open(path);
  ASSERT_TRUE(g.ok()) << g.error;
  EXPECT_EQ(std::memcmp(g->findTensor("b")->data, b.data(), b.size()), 0);
}
