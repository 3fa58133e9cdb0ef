//===- IntegerHeadLowering.cpp - What the integer heads share -------------===//
//
// The integer heads (q4, int8 of i8 token rows, the screened head's scan of
// f32 rows) as one function skeleton: the arguments, 1 / xs of each wanted
// token row, the loop over the vocabulary rows [begin, end) with the
// prefetch row ahead where one token row is wanted, and the logit times 1 /
// xs stored; each format (Q4HeadLowering.cpp, Int8HeadLowering.cpp,
// ScreenScanLowering.cpp) gives its buffers, its work per token row and its
// logit per vocabulary row; the int8 head and the scan share the loop over
// a row's 64-byte chunks in 4 chains (chunkSums). And the sums of unsigned
// by signed bytes in groups of 4 that all use, by the `dot` family's
// instruction (a call of a declaration that generate-tern-kernels defines
// and LLVM inlines) or by plain widening arithmetic without one.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NetworkToVector/HeadDot.h"
#include "compiler/Kernels/KernelFamily.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::tern;

SmallVector<int64_t> mlir::tern::strided(int64_t first, int64_t step,
                                         int64_t n) {
  SmallVector<int64_t> out;
  for (int64_t i = 0; i < n; ++i)
    out.push_back(first + i * step);
  return out;
}

Value mlir::tern::pairSums(VectorBuilder &v, Value a, Value b) {
  const int64_t n = cast<VectorType>(a.getType()).getNumElements();
  auto pick = [&](int64_t first) -> Value {
    return vector::ShuffleOp::create(v.b, v.loc, a, b, strided(first, 2, n));
  };
  return arith::AddIOp::create(v.b, v.loc, pick(0), pick(1));
}

namespace {

/// Lanes [off, off + n) of `x`.
Value slice(VectorBuilder &v, Value x, int64_t off, int64_t n) {
  return vector::ShuffleOp::create(v.b, v.loc, x, x, strided(off, 1, n));
}

/// A call of the family's multiply-add of byte quads, declared once per
/// module (generate-tern-kernels defines it: kQuadDotDeclAttr).
Value callQuadDot(VectorBuilder &v, ModuleOp module, const KernelFamily &f,
                  Value acc, Value u, Value x) {
  std::string name = "tern_quad_dot_" + f.name.str();
  std::replace(name.begin(), name.end(), '-', '_');
  auto fn = module.lookupSymbol<func::FuncOp>(name);
  if (!fn) {
    OpBuilder mb(module.getContext());
    mb.setInsertionPointToEnd(module.getBody());
    fn = func::FuncOp::create(
        mb, v.loc, name,
        mb.getFunctionType({acc.getType(), u.getType(), x.getType()},
                           {acc.getType()}));
    fn.setPrivate();
    fn->setAttr(kQuadDotDeclAttr, mb.getStringAttr(f.name));
  }
  return func::CallOp::create(v.b, v.loc, fn, ValueRange{acc, u, x})
      .getResult(0);
}

} // namespace

Value mlir::tern::headQuadDot(VectorBuilder &v, ModuleOp module,
                              const KernelFamily *family, Value acc, Value u,
                              Value x) {
  OpBuilder &b = v.b;
  const int64_t n = cast<VectorType>(u.getType()).getNumElements();
  Type i32 = b.getI32Type();
  if (!family) {
    Value prod = arith::MulIOp::create(
        b, v.loc, arith::ExtUIOp::create(b, v.loc, v.vec(i32, n), u),
        arith::ExtSIOp::create(b, v.loc, v.vec(i32, n), x));
    Value pairs =
        pairSums(v, slice(v, prod, 0, n / 2), slice(v, prod, n / 2, n / 2));
    return arith::AddIOp::create(
        b, v.loc, acc,
        pairSums(v, slice(v, pairs, 0, n / 4), slice(v, pairs, n / 4, n / 4)));
  }
  const int64_t w = family->quadBytes, parts = n / w;
  if (parts == 1)
    return callQuadDot(v, module, *family, acc, u, x);
  // The parts appended one by one into the n / 4 lanes.
  Value joined;
  for (int64_t p = 0; p < parts; ++p) {
    Value part =
        callQuadDot(v, module, *family, slice(v, acc, p * w / 4, w / 4),
                    slice(v, u, p * w, w), slice(v, x, p * w, w));
    joined = p == 0
                 ? part
                 : Value(vector::ShuffleOp::create(
                       b, v.loc, joined, part, strided(0, 1, (p + 1) * w / 4)));
  }
  return joined;
}

SmallVector<Value> IntegerHeadFormat::chunkSums(
    int64_t n,
    const std::function<void(MutableArrayRef<Value> acc, Value k)> &add,
    int64_t &end) {
  OpBuilder &b = v.b;
  constexpr int64_t kChains = 4, kStep = kChains * kChunk;
  const int64_t stepped = s.hidden / kStep * kStep;
  // acc[c * n + j]: chain c of accumulator j.
  SmallVector<Value> init(kChains * n, v.vzero(i32, kChunk / 4));
  auto loop = scf::ForOp::create(b, v.loc, v.idx(0), v.idx(stepped),
                                 v.idx(kStep), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value k = loop.getInductionVar();
    SmallVector<Value> next(loop.getRegionIterArgs());
    for (int64_t c = 0; c < kChains; ++c)
      add(MutableArrayRef<Value>(next).slice(c * n, n),
          arith::AddIOp::create(b, v.loc, k, v.idx(c * kChunk)));
    scf::YieldOp::create(b, v.loc, next);
  }
  SmallVector<Value> acc(loop.getResults());
  end = stepped;
  for (int64_t c = 0; end + kChunk <= s.hidden; end += kChunk, ++c)
    add(MutableArrayRef<Value>(acc).slice(c * n, n), v.idx(end));
  SmallVector<Value> sums;
  for (int64_t j = 0; j < n; ++j) {
    Value lanes = acc[j];
    for (int64_t c = 1; c < kChains; ++c)
      lanes = arith::AddIOp::create(b, v.loc, lanes, acc[c * n + j]);
    sums.push_back(vector::ReductionOp::create(
        b, v.loc, vector::CombiningKind::ADD, lanes));
  }
  return sums;
}

void mlir::tern::buildIntegerHeadBody(
    OpBuilder &b, Block *body, const IntegerHeadShape &s,
    const std::function<std::unique_ptr<IntegerHeadFormat>(VectorBuilder &,
                                                           ModuleOp)> &make) {
  VectorBuilder v{b, b.getUnknownLoc()};
  std::unique_ptr<IntegerHeadFormat> f =
      make(v, body->getParentOp()->getParentOfType<ModuleOp>());
  unsigned arg = 0;
  Value xq = body->getArgument(arg++);
  Value xs = s.rowScales ? body->getArgument(arg++) : Value();
  Value codes = body->getArgument(arg++), scales = body->getArgument(arg++);
  Value logits = body->getArgument(arg++);
  Value first = firstRowOf(v, body, arg, s.firstRowArg);
  Value begin = body->getArgument(arg), end = body->getArgument(arg + 1);
  const bool flat = cast<MemRefType>(logits.getType()).getRank() == 1;

  // Per call: the format's buffers and each wanted token row's work, and
  // 1 / xs (on the stack, or on the heap for many rows:
  // VectorBuilder::newBuffer).
  f->allocate();
  Value inv = v.newBuffer(RankedTensorType::get({s.rows}, b.getF32Type()));
  v.forEach(first, v.idx(s.rows), 1, [&](Value r) {
    f->prepareRow(xq, r);
    Value scale = f->rowScale(xs, r);
    memref::StoreOp::create(b, v.loc,
                            arith::DivFOp::create(b, v.loc, v.f32(1.0f), scale),
                            inv, ValueRange{r});
  });

  // One token row wanted (decode, the last row of a prefill chunk): each
  // vocabulary row's loads prefetch the same bytes of a row the target's
  // distance ahead.
  const bool stream = s.prefetch > 0 && (s.rows == 1 || s.firstRowArg);
  auto codesType = cast<MemRefType>(codes.getType());
  const int64_t rowBytes = codesType.getDimSize(1);
  const int64_t vocab = codesType.getDimSize(0);
  v.forEach(begin, end, 1, [&](Value row) {
    Value ahead;
    if (stream)
      ahead = arith::MinUIOp::create(
          b, v.loc,
          arith::AddIOp::create(b, v.loc, row,
                                v.idx((s.prefetch + rowBytes - 1) / rowBytes)),
          v.idx(vocab - 1));
    v.forEach(first, v.idx(s.rows), 1, [&](Value r) {
      Value d = f->rowLogit(codes, scales, xq, row, r, ahead);
      d = arith::MulFOp::create(
          b, v.loc, d, memref::LoadOp::create(b, v.loc, inv, ValueRange{r}));
      if (flat)
        memref::StoreOp::create(b, v.loc, d, logits, ValueRange{row});
      else
        memref::StoreOp::create(b, v.loc, d, logits, ValueRange{r, row});
    });
  });
  func::ReturnOp::create(b, v.loc);
}
