//===- Payload.cpp - The weights an executable carries --------------------===//

#include "compiler/Driver/Payload.h"

#include "runtime/compiled/PayloadCheck.h"
#include "runtime/compiled/tern_abi.h"
#include "runtime/model/GgufWriter.h"
#include "runtime/model/Model.h"
#include "runtime/support/Digest.h"
#include "runtime/support/Version.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/Support/Path.h"

#include <cstdio>
#include <cstring>

using namespace mlir;
using namespace mlir::tern;
namespace rt = ::tern;

llvm::Expected<PackedWeights>
mlir::tern::packWeights(const WeightBlob &blob, const std::string &modelPath) {
  PackedWeights p;
  p.bytes.assign(blob.size, 0);
  for (const BlobEntry &e : blob.entries)
    if (!e.fill(p.bytes.data() + e.offset))
      return llvm::createStringError(modelPath + ": cannot repack weight '" +
                                     e.name + "' (an invalid ternary code)");
  p.bytesPerToken = blob.bytesPerToken;
  p.digest = rt::xxh64(p.bytes.data(), p.bytes.size());
  p.sampleDigest = rt::sampledDigest(p.bytes.data(), p.bytes.size());
  return p;
}

std::vector<int64_t> mlir::tern::compiledShape(const rt::ModelConfig &c,
                                               const PayloadInfo &info,
                                               const PackedWeights &w) {
  rt::PayloadFacts f;
  f.config = c;
  f.context = info.contextSize;
  f.prefillRows = info.prefillRows;
  f.headFormat = static_cast<int64_t>(info.head);
  f.weightsBytes = w.bytes.size();
  f.digest = w.digest;
  f.sampleDigest = w.sampleDigest;
  return rt::shapeOf(f);
}

void mlir::tern::defineCompiledShape(llvm::Module &ir,
                                     const std::vector<int64_t> &shape) {
  std::vector<uint64_t> values(shape.begin(), shape.end());
  llvm::Constant *init =
      llvm::ConstantDataArray::get(ir.getContext(), llvm::ArrayRef(values));
  new llvm::GlobalVariable(ir, init->getType(), /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage, init,
                           TERN_ABI_SHAPE_SYMBOL);
}

llvm::Error mlir::tern::writePayload(const std::string &path,
                                     const rt::ModelDescription &m,
                                     PackedWeights &weights,
                                     const PayloadInfo &info) {
  rt::GgufWriter w;
  w.setAlignment(64);
  rt::addGgufConfig(w, m.config);
  w.addString("general.name", llvm::sys::path::filename(m.sourcePath).str());
  w.addUint32(TERN_ABI_KEY_VERSION, TERN_ABI_VERSION);
  w.addUint32(TERN_ABI_KEY_CONTEXT, static_cast<uint32_t>(info.contextSize));
  w.addString(TERN_ABI_KEY_TARGET, info.target);
  w.addString(TERN_ABI_KEY_CPU, info.cpu);
  w.addString(TERN_ABI_KEY_KERNELS, info.kernels);
  if (!info.cpuState.empty())
    w.addString(TERN_ABI_KEY_CPU_STATE, info.cpuState);
  w.addString(TERN_ABI_KEY_COMPILER, rt::ternVersion());
  if (!info.commandLine.empty())
    w.addString(TERN_ABI_KEY_COMMAND, info.commandLine);
  w.addUint32(TERN_ABI_KEY_PREFILL_ROWS,
              static_cast<uint32_t>(info.prefillRows));
  w.addUint32(TERN_ABI_KEY_BATCH_ROWS, static_cast<uint32_t>(info.batchRows));
  if (info.threads > 0)
    w.addUint32(TERN_ABI_KEY_THREADS, static_cast<uint32_t>(info.threads));
  w.addString(TERN_ABI_KEY_HEAD, rt::headFormatName(info.head));
  w.addUint64(TERN_ABI_KEY_BYTES_PER_TOKEN, weights.bytesPerToken);
  w.addUint64(TERN_ABI_KEY_WEIGHTS_DIGEST, weights.digest);
  w.addUint64(TERN_ABI_KEY_WEIGHTS_SAMPLE_DIGEST, weights.sampleDigest);
  // No merge list: the executable's tokenizer needs none, and its start
  // would check it.
  if (!m.vocab.tokens.empty())
    rt::addGgufVocab(w, m.vocab, m.config, /*withMerges=*/false);
  const int64_t size = static_cast<int64_t>(weights.bytes.size());
  w.addTensor(TERN_ABI_WEIGHTS_TENSOR, {size}, rt::GgmlType::I8,
              std::move(weights.bytes));
  std::string err = w.writeFile(path);
  if (!err.empty())
    return llvm::createStringError(err);
  return llvm::Error::success();
}

llvm::Error mlir::tern::appendPayload(const std::string &exe,
                                      const std::string &payload) {
  std::FILE *out = std::fopen(exe.c_str(), "ab");
  std::FILE *in = std::fopen(payload.c_str(), "rb");
  if (!out || !in) {
    if (out)
      std::fclose(out);
    if (in)
      std::fclose(in);
    return llvm::createStringError(exe + ": cannot append the weights");
  }
  std::fseek(out, 0, SEEK_END);
  long end = std::ftell(out);
  const uint64_t start = (static_cast<uint64_t>(end) + 4095) / 4096 * 4096;
  std::vector<char> pad(start - static_cast<uint64_t>(end), 0);
  bool ok = std::fwrite(pad.data(), 1, pad.size(), out) == pad.size();
  std::vector<char> buf(1 << 20);
  uint64_t size = 0;
  size_t n;
  while (ok && (n = std::fread(buf.data(), 1, buf.size(), in)) > 0) {
    ok = std::fwrite(buf.data(), 1, n, out) == n;
    size += n;
  }
  tern_payload_trailer t;
  t.offset = start;
  t.size = size;
  std::memcpy(t.magic, TERN_ABI_TRAILER_MAGIC, 8);
  ok = ok && std::fwrite(&t, sizeof t, 1, out) == 1;
  ok = (std::fclose(out) == 0) && ok;
  std::fclose(in);
  if (!ok)
    return llvm::createStringError(exe +
                                   ": writing the appended weights failed");
  return llvm::Error::success();
}
