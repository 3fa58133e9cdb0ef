//===- TernToX86.cpp - AVX2 kernels for ternary matmuls -------------------===//
//
// See the pass description in compiler/Conversion/Passes.td.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/TernToX86/TernToX86.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::tern {
#define GEN_PASS_DEF_GENERATETERNX86KERNELS
#define GEN_PASS_DEF_CONVERTTERNTOX86
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

constexpr int64_t kBlock = 128;    // weights per i2 block
constexpr int64_t kBlockBytes = 32; // bytes per block

constexpr const char *kKernelAttr = "tern.kernel";

/// Declares (once per shape) the kernel out[M, N] = a[M, K] x t[N, K]^T;
/// its body is generated after bufferization (defineKernel).
func::FuncOp getOrDeclareKernel(ModuleOp module, int64_t m, int64_t n,
                                int64_t k) {
  const std::string name = "tern_kernel_i2_avx2_" + std::to_string(m) + "x" +
                           std::to_string(n) + "x" + std::to_string(k);
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  OpBuilder b(module.getContext());
  Type i8 = b.getI8Type(), i32 = b.getI32Type();
  auto aType = MemRefType::get({m, k}, i8);
  auto wType = MemRefType::get({n, k / 4}, i8);
  auto oType = MemRefType::get({m, n}, i32);
  b.setInsertionPointToEnd(module.getBody());
  auto fn = func::FuncOp::create(
      b, module.getLoc(), name,
      b.getFunctionType({aType, wType, oType, b.getIndexType(),
                         b.getIndexType()},
                        {}));
  fn.setPrivate();
  fn->setAttr(kKernelAttr, b.getStringAttr("i2_avx2"));
  return fn;
}

/// Generates the body of a kernel declared by getOrDeclareKernel.
void defineKernel(func::FuncOp fn) {
  OpBuilder b(fn.getContext());
  Location loc = fn.getLoc();
  auto aType = cast<MemRefType>(fn.getArgumentTypes()[0]);
  const int64_t m = aType.getDimSize(0), k = aType.getDimSize(1);
  Type i8 = b.getI8Type(), i16 = b.getI16Type(), i32 = b.getI32Type();
  fn.setPrivate();
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Value a = entry->getArgument(0), w = entry->getArgument(1),
        out = entry->getArgument(2);

  auto v32i8 = VectorType::get({32}, i8);
  auto v16i16 = VectorType::get({16}, i16);
  auto v8i32 = VectorType::get({8}, i32);
  auto idx = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto splat = [&](VectorType t, int64_t v) -> Value {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(t, b.getIntegerAttr(t.getElementType(), v)));
  };
  Value three = splat(v32i8, 3);
  Value ones16 = splat(v16i16, 1);
  Value zero32 = splat(v8i32, 0);
  Value zero16 = splat(v16i16, 0);
  Value shifts[4] = {splat(v32i8, 6), splat(v32i8, 4), splat(v32i8, 2),
                     splat(v32i8, 0)};
  auto pmaddubsw = b.getStringAttr("llvm.x86.avx2.pmadd.ub.sw");
  auto pmaddwd = b.getStringAttr("llvm.x86.avx2.pmadd.wd");

  auto rowLoop = scf::ForOp::create(b, loc, idx(0), idx(m), idx(1));
  b.setInsertionPointToStart(rowLoop.getBody());
  Value row = rowLoop.getInductionVar();
  // sum_k a[row, k]: the overcount of multiplying by codes t + 1.
  Value sumVec = zero32;
  for (int64_t kk = 0; kk < k; kk += 32) {
    Value x = vector::LoadOp::create(b, loc, v32i8, a, ValueRange{row, idx(kk)});
    Value p = LLVM::CallIntrinsicOp::create(b, loc, v16i16, pmaddubsw,
                                            ValueRange{splat(v32i8, 1), x})
                  .getResult(0);
    sumVec = arith::AddIOp::create(
        b, loc, sumVec,
        LLVM::CallIntrinsicOp::create(b, loc, v8i32, pmaddwd,
                                      ValueRange{p, ones16})
            .getResult(0));
  }
  Value sumA = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                           sumVec);

  // Output columns [begin, end): the caller may split them among threads.
  auto colLoop = scf::ForOp::create(b, loc, entry->getArgument(3),
                                    entry->getArgument(4), idx(1));
  b.setInsertionPointToStart(colLoop.getBody());
  Value col = colLoop.getInductionVar();
  Value acc = zero32;
  for (int64_t blk = 0; blk < k / kBlock; ++blk) {
    Value bytes = vector::LoadOp::create(
        b, loc, v32i8, w, ValueRange{col, idx(blk * kBlockBytes)});
    Value p16 = zero16;
    for (int j = 0; j < 4; ++j) {
      Value codes = arith::AndIOp::create(
          b, loc, arith::ShRUIOp::create(b, loc, bytes, shifts[j]), three);
      Value x = vector::LoadOp::create(
          b, loc, v32i8, a, ValueRange{row, idx(blk * kBlock + 32 * j)});
      p16 = arith::AddIOp::create(
          b, loc, p16,
          LLVM::CallIntrinsicOp::create(b, loc, v16i16, pmaddubsw,
                                        ValueRange{codes, x})
              .getResult(0));
    }
    acc = arith::AddIOp::create(
        b, loc, acc,
        LLVM::CallIntrinsicOp::create(b, loc, v8i32, pmaddwd,
                                      ValueRange{p16, ones16})
            .getResult(0));
  }
  Value total = arith::SubIOp::create(
      b, loc,
      vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, acc),
      sumA);
  memref::StoreOp::create(b, loc, total, out, ValueRange{row, col});
  b.setInsertionPointAfter(rowLoop);
  func::ReturnOp::create(b, loc);
}

struct ConvertTernToX86Pass
    : mlir::tern::impl::ConvertTernToX86Base<ConvertTernToX86Pass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<MatmulOp> matmuls;
    module.walk([&](MatmulOp op) { matmuls.push_back(op); });
    for (MatmulOp op : matmuls) {
      auto weight = op.getWeights().getDefiningOp<WeightOp>();
      WeightsType wt = op.getWeights().getType();
      auto lhsType = cast<RankedTensorType>(op.getLhs().getType());
      if (!weight || !wt.isPacked() ||
          wt.getLayout().getKind() != PackingKind::i2 ||
          wt.getLayout().getBlock() != kBlock || wt.getCols() % kBlock != 0 ||
          !lhsType.hasStaticShape() ||
          !weight.getBlob().getType().hasStaticShape())
        continue;
      const int64_t m = lhsType.getDimSize(0), n = wt.getRows(),
                    k = wt.getCols();
      func::FuncOp kernel = getOrDeclareKernel(module, m, n, k);
      OpBuilder b(op);
      Location loc = op.getLoc();
      Value offset = arith::ConstantIndexOp::create(
          b, loc, static_cast<int64_t>(weight.getOffset()));
      Value view = memref::ViewOp::create(
          b, loc, MemRefType::get({n, k / 4}, b.getI8Type()), weight.getBlob(),
          offset, ValueRange{});
      Value lhs = bufferization::ToBufferOp::create(
          b, loc, MemRefType::get({m, k}, b.getI8Type()), op.getLhs(),
          b.getUnitAttr());
      auto outType = MemRefType::get({m, n}, b.getI32Type());
      Value out = memref::AllocOp::create(b, loc, outType);
      auto call = func::CallOp::create(
          b, loc, kernel,
          ValueRange{lhs, view, out, arith::ConstantIndexOp::create(b, loc, 0),
                     arith::ConstantIndexOp::create(b, loc, n)});
      // Columns are independent: convert-parallel-to-runtime may split them.
      call->setAttr("tern.parallel", b.getUnitAttr());
      Value result = bufferization::ToTensorOp::create(
          b, loc, op.getResult().getType(), out, /*restrict=*/true,
          /*writable=*/true);
      op.getResult().replaceAllUsesWith(result);
      op.erase();
      if (weight->use_empty())
        weight.erase();
    }
  }
};

struct GenerateTernX86KernelsPass
    : mlir::tern::impl::GenerateTernX86KernelsBase<GenerateTernX86KernelsPass> {
  void runOnOperation() override {
    getOperation().walk([](func::FuncOp fn) {
      if (fn.isExternal() && fn->hasAttr(kKernelAttr))
        defineKernel(fn);
    });
  }
};

} // namespace
