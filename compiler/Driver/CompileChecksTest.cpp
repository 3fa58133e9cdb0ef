//===- CompileChecksTest.cpp - What tern compile refuses ------------------===//

#include "compiler/Driver/CompileChecks.h"

#include "runtime/model/Gguf.h"
#include "runtime/model/Model.h"
#include "runtime/model/TestModels.h"
#include "runtime/support/Digest.h"

#include "llvm/Support/xxhash.h"

#include <gtest/gtest.h>

#include <fstream>

using namespace mlir::tern;
using namespace tern::testmodels;
namespace rt = ::tern;

namespace {

rt::ModelDescription load(const TinyModel &m) {
  rt::GgufFileOrError g = rt::GgufFile::parse(
      rt::MappedFile::fromBuffer(writerFor(m).serialize(), "tiny.gguf"));
  EXPECT_TRUE(g.ok()) << g.error;
  rt::ModelOrError r = rt::loadGgufModel(*g);
  EXPECT_TRUE(r.ok()) << r.error;
  return std::move(*r);
}

std::string refusal(const CompileOptions &o, const rt::ModelDescription &m) {
  llvm::Error e = checkAgainstModel(o, m);
  return e ? llvm::toString(std::move(e)) : std::string();
}

TEST(CompileChecks, TokenizersTheExecutableWouldRefuse) {
  // Each compiled into an executable that failed on every start.
  TinyModel m = makeTinyModel(rt::TernaryEncoding::I2_S);
  CompileOptions o;
  o.model = "tiny.gguf";
  EXPECT_EQ(refusal(o, load(m)), "");

  TinyModel empty = m;
  empty.tokens[m.tokens.size() - 1] = ""; // a special token
  EXPECT_TRUE(hasWords(refusal(o, load(empty)),
                       {"is empty", "the executable would refuse to start"}));

  TinyModel notGpt2 = m;
  notGpt2.tokens[300 - 10] = "\xC5\x84x"; // U+0144 is not GPT-2 form
  EXPECT_TRUE(hasWords(refusal(o, load(notGpt2)), {"GPT-2"}));

  TinyModel noByte = m;
  noByte.tokens[65] = "zz"; // byte 'A' has no token
  EXPECT_TRUE(hasWords(refusal(o, load(noByte)), {"byte 0x41"}));
}

TEST(CompileChecks, ContextAndPrefill) {
  const rt::ModelDescription m = load(makeTinyModel(rt::TernaryEncoding::I2_S));
  CompileOptions o;
  o.model = "tiny.gguf";
  // 2^32 was truncated to 0 in the payload's u32.
  o.contextSize = int64_t(1) << 32;
  EXPECT_TRUE(hasWords(refusal(o, m), {"--ctx 4294967296 exceeds the 128-token "
                                       "context"}));
  o.contextSize = 64;
  o.prefillRows = -5; // was ignored
  EXPECT_TRUE(hasWords(refusal(o, m), {"--prefill -5 is negative"}));
  o.prefillRows = 100000; // was capped silently
  EXPECT_TRUE(hasWords(refusal(o, m), {"--prefill 100000 exceeds the context "
                                       "of 64 tokens"}));
  o.prefillRows = 64;
  EXPECT_EQ(refusal(o, m), "");
  o.prefillRows = -1; // the default
  EXPECT_EQ(refusal(o, m), "");
}

TEST(CompileChecks, OutputIsNeverAnInput) {
  const std::string dir = tempDir();
  const std::string model = dir + "/m.gguf", db = dir + "/t.json";
  std::ofstream(model) << "x";
  std::ofstream(db) << "{}";
  auto refused = [&](const std::string &out, const std::string &tuning) {
    CompileOptions o;
    o.model = model;
    o.output = out;
    o.tuningDb = tuning;
    llvm::Error e = checkOutputIsNotAnInput(o);
    return e ? llvm::toString(std::move(e)) : std::string();
  };
  EXPECT_TRUE(hasWords(refused(model, ""), {"m.gguf is the input",
                                            "would overwrite it"}));
  // The same file by another path.
  EXPECT_TRUE(hasWords(refused(dir + "/./m.gguf", ""), {"would overwrite"}));
  EXPECT_TRUE(hasWords(refused(db, db), {"t.json is the input"}));
  // OUT.weights is written too.
  std::ofstream(dir + "/exe.weights") << "w";
  CompileOptions o;
  o.model = dir + "/exe.weights";
  o.output = dir + "/exe";
  llvm::Error e = checkOutputIsNotAnInput(o);
  ASSERT_TRUE(static_cast<bool>(e));
  EXPECT_TRUE(hasWords(llvm::toString(std::move(e)), {"exe.weights is the input"}));
  EXPECT_EQ(refused(dir + "/other", db), "");
}

} // namespace

namespace {
TEST(PayloadDigest, RuntimeXxh64MatchesLlvms) {
  // The runtime's XXH64 (runtime/support/Digest.h) against LLVM's, at every
  // tail length and across the 32-byte stripes.
  std::vector<uint8_t> bytes(1000);
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<uint8_t>(i * 131 + 7);
  for (size_t n = 0; n <= bytes.size(); n += (n < 80 ? 1 : 37))
    EXPECT_EQ(rt::xxh64(bytes.data(), n),
              llvm::xxHash64(llvm::ArrayRef<uint8_t>(bytes.data(), n)))
        << n;
}
} // namespace
