//===- ReferencePipelineTest.cpp - The oracle against the C++ semantics ---===//
//
// JIT-compiles tern functions through the reference pipeline and checks them
// against runtime/ternary on random data of realistic block sizes: the
// lowered arithmetic must match the C++ statement of the semantics bit for
// bit, for every packed layout, in both directions of packing.
//
//===----------------------------------------------------------------------===//

#include "compiler/Pipelines/JitForTests.h"
#include "compiler/Packings/Packing.h"
#include "runtime/ternary/Ternary.h"

#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/TargetSelect.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::tern;

using namespace mlir::tern::testing;

namespace {

/// A layout of the registry, or none (unpacked).
using LayoutCase = Layout;

std::string weightsType(int64_t n, int64_t k, const LayoutCase &l) {
  if (!l)
    return llvm::formatv("!tern.weights<{0}x{1}>", n, k).str();
  return llvm::formatv("!tern.weights<{0}x{1}, #tern.layout<{2}, block = {3}>>",
                       n, k, l.packing->name, l.block)
      .str();
}

class ReferencePipeline : public ::testing::TestWithParam<LayoutCase> {
protected:
  static void SetUpTestSuite() {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  }
};

// N: two lut2i row groups of 32.
constexpr int64_t M = 3, N = 64, K = 640;

TEST_P(ReferencePipeline, BitLinearMatchesCppBitForBit) {
  const LayoutCase &l = GetParam();
  std::string wt = weightsType(N, K, l);
  std::string src = llvm::formatv(R"mlir(
    func.func @bitlinear(%x: tensor<{0}x{2}xf32>, %w: {3}, %b: f32) -> tensor<{0}x{1}xf32>
        attributes {{llvm.emit_c_interface} {
      %y = tern.bitlinear %x, %w, %b : tensor<{0}x{2}xf32>, {3}, f32 -> tensor<{0}x{1}xf32>
      return %y : tensor<{0}x{1}xf32>
    }
    func.func @matmul(%x: tensor<{0}x{2}xf32>, %w: {3}) -> tensor<{0}x{1}xi32>
        attributes {{llvm.emit_c_interface} {
      %q, %s = tern.quantize_act %x : tensor<{0}x{2}xf32> -> tensor<{0}x{2}xi8>, tensor<{0}xf32>
      %acc = tern.matmul %q, %w : tensor<{0}x{2}xi8>, {3} -> tensor<{0}x{1}xi32>
      return %acc : tensor<{0}x{1}xi32>
    })mlir",
                                  M, N, K, wt)
                        .str();
  Jit jit(src);
  ASSERT_EQ(jit.error, "");
  using BitLinearFn = void (*)(Mem2D<float> *, Mem2D<float> *, Mem2D<int8_t> *, float);
  using MatmulFn = void (*)(Mem2D<int32_t> *, Mem2D<float> *, Mem2D<int8_t> *);
  auto bitlinear = jit.get<BitLinearFn>("bitlinear");
  auto matmul = jit.get<MatmulFn>("matmul");
  ASSERT_TRUE(bitlinear && matmul) << jit.error;

  std::mt19937 rng(1234 + static_cast<unsigned>(l.block));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> trit(-1, 1);
  std::vector<float> x(M * K);
  for (auto &v : x)
    v = normal(rng);
  x[5] = 40.0f; // row 0 absmax that makes s = 127 / 40 (ties are possible)
  std::vector<int8_t> t(N * K);
  for (auto &v : t)
    v = static_cast<int8_t>(trit(rng));
  const float beta = 0.0371f;

  // The weights as the function takes them: packed by the C++ packer.
  std::vector<int8_t> wbytes = t;
  int64_t rowBytes = K;
  if (l) {
    rowBytes = l.rowBytes(K);
    wbytes.assign(N * rowBytes, 0);
    ASSERT_TRUE(
        l.pack(t.data(), N, K, reinterpret_cast<uint8_t *>(wbytes.data())));
  }
  auto xm = view(x, M, K);
  auto wm = view(wbytes, N, rowBytes);

  std::vector<float> want(M * N);
  ::tern::bitlinear(x.data(), t.data(), beta, M, N, K, want.data());
  Mem2D<float> ym;
  bitlinear(&ym, &xm, &wm, beta);
  std::vector<float> got = take(ym);
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * sizeof(float)))
      << "first element: got " << got[0] << ", want " << want[0];

  std::vector<int8_t> q(M * K);
  std::vector<float> s(M);
  std::vector<int32_t> accWant(M * N);
  ::tern::quantizeActivations(x.data(), M, K, q.data(), s.data());
  ::tern::ternaryMatmul(q.data(), t.data(), M, N, K, accWant.data());
  Mem2D<int32_t> am;
  matmul(&am, &xm, &wm);
  EXPECT_EQ(take(am), accWant);
}

/// Packing tests run on the packed layouts only.
class ReferencePacking : public ReferencePipeline {};

TEST_P(ReferencePacking, LoweredPackAndUnpackMatchCppPacker) {
  const LayoutCase &l = GetParam();
  std::string packed = weightsType(N, K, l), plain = weightsType(N, K, Layout{});
  std::string src = llvm::formatv(R"mlir(
    func.func @pack(%w: {0}) -> {1} attributes {{llvm.emit_c_interface} {
      %p = tern.pack %w : {0} -> {1}
      return %p : {1}
    }
    func.func @unpack(%p: {1}) -> {0} attributes {{llvm.emit_c_interface} {
      %w = tern.unpack %p : {1} -> {0}
      return %w : {0}
    })mlir",
                                  plain, packed)
                        .str();
  Jit jit(src);
  ASSERT_EQ(jit.error, "");
  using Fn = void (*)(Mem2D<int8_t> *, Mem2D<int8_t> *);
  auto pack = jit.get<Fn>("pack");
  auto unpack = jit.get<Fn>("unpack");
  ASSERT_TRUE(pack && unpack) << jit.error;

  std::mt19937 rng(99 + l.block);
  std::uniform_int_distribution<int> trit(-1, 1);
  std::vector<int8_t> t(N * K);
  for (auto &v : t)
    v = static_cast<int8_t>(trit(rng));
  int64_t rowBytes = l.rowBytes(K);
  std::vector<int8_t> bytes(N * rowBytes);
  ASSERT_TRUE(
      l.pack(t.data(), N, K, reinterpret_cast<uint8_t *>(bytes.data())));

  auto tm = view(t, N, K);
  Mem2D<int8_t> pm;
  pack(&pm, &tm);
  EXPECT_EQ(take(pm), bytes);

  auto bm = view(bytes, N, rowBytes);
  Mem2D<int8_t> um;
  unpack(&um, &bm);
  EXPECT_EQ(take(um), t);
}

TEST_P(ReferencePipeline, AbsmeanMatchesCpp) {
  const LayoutCase &l = GetParam();
  std::string wt = weightsType(N, K, l);
  std::string src = llvm::formatv(R"mlir(
    func.func @weights(%m: tensor<{0}x{1}xf32>) -> {2} attributes {{llvm.emit_c_interface} {
      %w, %b = tern.absmean_quantize %m : tensor<{0}x{1}xf32> -> {2}
      return %w : {2}
    }
    func.func @scale(%m: tensor<{0}x{1}xf32>) -> f32 attributes {{llvm.emit_c_interface} {
      %w, %b = tern.absmean_quantize %m : tensor<{0}x{1}xf32> -> {2}
      return %b : f32
    })mlir",
                                  N, K, wt)
                        .str();
  Jit jit(src);
  ASSERT_EQ(jit.error, "");
  auto weights = jit.get<void (*)(Mem2D<int8_t> *, Mem2D<float> *)>("weights");
  auto scale = jit.get<float (*)(Mem2D<float> *)>("scale");
  ASSERT_TRUE(weights && scale) << jit.error;

  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> master(N * K);
  for (auto &v : master)
    v = normal(rng);
  std::vector<int8_t> t(N * K);
  float beta = ::tern::absmeanQuantize(master.data(), N * K, t.data());
  std::vector<int8_t> want = t;
  if (l) {
    want.assign(N * l.rowBytes(K), 0);
    ASSERT_TRUE(
        l.pack(t.data(), N, K, reinterpret_cast<uint8_t *>(want.data())));
  }
  auto mm = view(master, N, K);
  EXPECT_EQ(scale(&mm), beta);
  Mem2D<int8_t> wm;
  weights(&wm, &mm);
  EXPECT_EQ(take(wm), want);
}

/// Every registered packing at two blocks: the smallest of at least 64
/// weights that divides K, and one block per row.
std::vector<LayoutCase> packedLayouts() {
  std::vector<LayoutCase> out;
  for (const Packing *p : packings()) {
    int64_t block = p->blockMultiple;
    while (block < 64 || K % block)
      block += p->blockMultiple;
    out.push_back({p, block});
    out.push_back({p, K});
  }
  return out;
}

std::vector<LayoutCase> allLayouts() {
  std::vector<LayoutCase> out = {Layout{}};
  for (const LayoutCase &l : packedLayouts())
    out.push_back(l);
  return out;
}

std::string layoutName(const ::testing::TestParamInfo<LayoutCase> &info) {
  if (!info.param)
    return "unpacked";
  return info.param.packing->name.str() + "_b" +
         std::to_string(info.param.block);
}

INSTANTIATE_TEST_SUITE_P(Layouts, ReferencePipeline,
                         ::testing::ValuesIn(allLayouts()), layoutName);
INSTANTIATE_TEST_SUITE_P(Layouts, ReferencePacking,
                         ::testing::ValuesIn(packedLayouts()), layoutName);

} // namespace
