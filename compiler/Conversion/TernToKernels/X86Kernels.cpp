//===- X86Kernels.cpp - AVX2 bodies of i2 matmul kernels ------------------===//
//
// out[m, n] = sum over 128-weight blocks b and bit positions j of
// vpmaddubsw(codes_j (u8 0..2), a[m, 128 b + 32 j : + 32] (s8)), summed in
// i16 over the 4 positions (|.| <= 2048), widened by vpmaddwd(., 1) into 8
// i32 lanes, reduced, minus sum_k a[m, k] (codes are t + 1). Exact.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/TernToKernels/TernToKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::kernels;

void mlir::tern::kernels::defineAvx2Kernel(func::FuncOp fn) {
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
  for (int64_t blk = 0; blk < k / kI2Block; ++blk) {
    Value bytes = vector::LoadOp::create(
        b, loc, v32i8, w, ValueRange{col, idx(blk * kI2BlockBytes)});
    Value p16 = zero16;
    for (int j = 0; j < 4; ++j) {
      Value codes = arith::AndIOp::create(
          b, loc, arith::ShRUIOp::create(b, loc, bytes, shifts[j]), three);
      Value x = vector::LoadOp::create(
          b, loc, v32i8, a, ValueRange{row, idx(blk * kI2Block + 32 * j)});
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

