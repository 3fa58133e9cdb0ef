//===- LmHeadLowering.cpp - tern.lm_head as vector code -------------------===//
//
// One outlined function per head shape and format computes vocabulary
// rows [begin, end) for every wanted token row, called as a `tern.parallel`
// range over all V rows. The float formats' dot product keeps 32 partial
// sums (vector<32xf32>) when H is a multiple of 32, folded to 8 as
// (p[l] + p[l+16]) + (p[l+8] + p[l+24]) and summed by the lane tree; else
// 8 lanes. Weights per format: native rows widened to f32; int8 codes to
// f32 and the dot times the row's scale. q4 multiplies in integers
// (Q4HeadLowering.cpp). With a first row, the call is skipped when no row
// is wanted. With `prefetch = P`, the loops that compute one token row's
// logits prefetch each loaded vocabulary row's columns ceil(P / row bytes)
// rows ahead; the batched loop, bound by arithmetic, does not.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NetworkToVector/HeadDot.h"
#include "compiler/Conversion/NetworkToVector/NetworkToVector.h"
#include "compiler/Conversion/ParallelToRuntime/ParallelToRuntime.h"
#include "compiler/Kernels/KernelFamily.h"

#include "llvm/Support/FormatVariadic.h"

#include "runtime/model/HeadFormat.h"

using namespace mlir;
using namespace mlir::tern;

namespace {

/// What the head function is built for.
struct HeadShape {
  HeadFormat format;
  int64_t rows, hidden;
  bool firstRowArg; ///< takes memref<1xindex> first_row
  int64_t prefetch; ///< bytes ahead (0: none)
  int64_t locality; ///< LLVM's prefetch locality hint
};

} // namespace

Value mlir::tern::headDot(VectorBuilder &v, int64_t h,
                          const std::function<Value(Value, int64_t)> &loadX,
                          const std::function<Value(Value, int64_t)> &loadW) {
  OpBuilder &b = v.b;
  Location loc = v.loc;
  if (h % 32 != 0)
    return v.dot(
        h, [&](Value k) { return loadX(k, kLanes); },
        [&](Value k) { return loadW(k, kLanes); });
  Type f32 = b.getF32Type();
  Value acc = v.reduce(v.idx(0), v.idx(h), 32, v.vzero(f32, 32),
                       [&](Value k, Value a) {
                         Value prod = arith::MulFOp::create(
                             b, loc, loadX(k, 32), loadW(k, 32));
                         return arith::AddFOp::create(b, loc, a, prod);
                       });
  return fold32(v, acc);
}

Value mlir::tern::fold32(VectorBuilder &v, Value acc) {
  OpBuilder &b = v.b;
  Location loc = v.loc;
  auto part = [&](int64_t off) -> Value {
    SmallVector<int64_t> lanes;
    for (int64_t l = 0; l < kLanes; ++l)
      lanes.push_back(off + l);
    return vector::ShuffleOp::create(b, loc, acc, acc, lanes);
  };
  auto add = [&](Value x, Value y) -> Value {
    return arith::AddFOp::create(b, loc, x, y);
  };
  return v.laneTree(add(add(part(0), part(16)), add(part(8), part(24))));
}

namespace {

/// n dot products of 32 lanes each over columns [0, h) in steps of 32,
/// as independent sums: per column k, `shared(k)` loads what the n sums
/// share once, then `operands(i, k, shared)` gives sum i's (token lanes,
/// weight lanes), each multiplied and added before the next is loaded
/// (fewer vectors live at once). Each sum accumulates in headDot's order;
/// returns the n folded sums.
SmallVector<Value> headSums(
    VectorBuilder &v, int64_t h, int64_t n,
    const std::function<Value(Value)> &shared,
    const std::function<std::pair<Value, Value>(int64_t, Value, Value)>
        &operands) {
  OpBuilder &b = v.b;
  SmallVector<Value> init(static_cast<size_t>(n),
                          v.vzero(b.getF32Type(), 32));
  auto loop =
      scf::ForOp::create(b, v.loc, v.idx(0), v.idx(h), v.idx(32), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value k = loop.getInductionVar();
    Value common = shared(k);
    SmallVector<Value> next;
    for (int64_t i = 0; i < n; ++i) {
      auto [x, w] = operands(i, k, common);
      next.push_back(arith::AddFOp::create(
          b, v.loc, loop.getRegionIterArgs()[i],
          arith::MulFOp::create(b, v.loc, x, w)));
    }
    scf::YieldOp::create(b, v.loc, next);
  }
  SmallVector<Value> out;
  for (Value acc : loop.getResults())
    out.push_back(fold32(v, acc));
  return out;
}

/// Where a vocabulary row's loads prefetch: `row` + ceil(P / row bytes),
/// the last row at most; null without a prefetch distance.
Value prefetchRow(VectorBuilder &v, const HeadShape &s, Value weights,
                  Value row) {
  if (s.prefetch <= 0)
    return {};
  auto type = cast<MemRefType>(weights.getType());
  const int64_t rowBytes =
      type.getDimSize(1) * type.getElementTypeBitWidth() / 8;
  const int64_t ahead = (s.prefetch + rowBytes - 1) / rowBytes;
  return arith::MinUIOp::create(
      v.b, v.loc, arith::AddIOp::create(v.b, v.loc, row, v.idx(ahead)),
      v.idx(type.getDimSize(0) - 1));
}

/// Loads `w` weights of vocabulary row `row` at column k as f32 lanes;
/// with `ahead` (prefetchRow), prefetches the same bytes of that row with
/// `locality` (the op's prefetch_locality).
Value loadWeights(VectorBuilder &v, HeadFormat f, Value weights, Value row,
                  Value k, int64_t w, Value ahead = {},
                  int64_t locality = KernelAttr::kDefaultLocality) {
  OpBuilder &b = v.b;
  Location loc = v.loc;
  Type f32 = b.getF32Type();
  if (ahead)
    memref::PrefetchOp::create(b, loc, weights, ValueRange{ahead, k},
                               /*isWrite=*/false, /*localityHint=*/locality,
                               /*isDataCache=*/true);
  if (f == HeadFormat::native)
    return loadNativeRow(v, weights, row, k, w);
  return arith::SIToFPOp::create(b, loc, v.vec(f32, w),
                                 v.vload(weights, {row, k}, w));
}

/// The head function's body: (x [R, H], weights[, scales], logits[,
/// first_row], begin, end).
void buildHeadBody(OpBuilder &b, Block *body, const HeadShape &s) {
  VectorBuilder v{b, b.getUnknownLoc()};
  const bool scaled = s.format != HeadFormat::native;
  unsigned arg = 0;
  Value x = body->getArgument(arg++), weights = body->getArgument(arg++);
  Value scales = scaled ? body->getArgument(arg++) : Value();
  Value logits = body->getArgument(arg++);
  Value first = firstRowOf(v, body, arg, s.firstRowArg);
  const bool flat = cast<MemRefType>(logits.getType()).getRank() == 1;
  auto finish = [&](Value d, Value row, Value r) {
    if (s.format == HeadFormat::int8)
      d = arith::MulFOp::create(
          b, v.loc, d,
          memref::LoadOp::create(b, v.loc, scales, ValueRange{row, v.idx(0)}));
    if (flat)
      memref::StoreOp::create(b, v.loc, d, logits, ValueRange{row});
    else
      memref::StoreOp::create(b, v.loc, d, logits, ValueRange{r, row});
  };
  if (!s.firstRowArg && s.rows > 1 && s.hidden % 32 == 0) {
    // Every row wanted (a batch): each vocabulary row's weights are loaded
    // and converted once per 32 columns for a group of token rows, each
    // row's sums in the same order as headDot's.
    const int64_t group = 4;
    v.forEach(body->getArgument(arg), body->getArgument(arg + 1), 1,
              [&](Value row) {
      for (int64_t r0 = 0; r0 < s.rows; r0 += group) {
        const int64_t n = std::min(group, s.rows - r0);
        SmallVector<Value> sums = headSums(
            v, s.hidden, n,
            [&](Value k) {
              return loadWeights(v, s.format, weights, row, k, 32);
            },
            [&](int64_t i, Value k, Value w) {
              return std::make_pair(v.vload(x, {v.idx(r0 + i), k}, 32), w);
            });
        for (int64_t i = 0; i < n; ++i)
          finish(sums[i], row, v.idx(r0 + i));
      }
    });
    func::ReturnOp::create(b, v.loc);
    return;
  }
  Value begin = body->getArgument(arg), end = body->getArgument(arg + 1);
  v.forEach(begin, end, 1, [&](Value row) {
    Value ahead = prefetchRow(v, s, weights, row);
    v.forEach(first, v.idx(s.rows), 1, [&](Value r) {
      Value d = headDot(
          v, s.hidden, [&](Value k, int64_t w) { return v.vload(x, {r, k}, w); },
          [&](Value k, int64_t w) {
            return loadWeights(v, s.format, weights, row, k, w, ahead,
                               s.locality);
          });
      finish(d, row, r);
    });
  });
  func::ReturnOp::create(b, v.loc);
}

struct LmHeadLowering : OpRewritePattern<LmHeadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LmHeadOp op,
                                PatternRewriter &rewriter) const override {
    VectorBuilder v{rewriter, op.getLoc()};
    Location loc = op.getLoc();
    auto inType = op.getInput().getType();
    auto wType = op.getWeights().getType();
    const HeadShape s{op.getFormat(), inType.getDimSize(0),
                      inType.getDimSize(1), op.getFirstRow() != nullptr,
                      static_cast<int64_t>(op.getPrefetch().value_or(0)),
                      static_cast<int64_t>(op.getPrefetchLocality().value_or(
                          KernelAttr::kDefaultLocality))};
    const int64_t vocab = wType.getDimSize(0);
    // Bytes of weights and scales per vocabulary row.
    auto bytesOf = [](RankedTensorType t) {
      return t.getNumElements() *
             static_cast<int64_t>(t.getElementTypeBitWidth()) / 8;
    };
    const int64_t rowBytes =
        (bytesOf(wType) +
         (op.getScales() ? bytesOf(op.getScales().getType()) : 0)) /
        vocab;
    auto memrefOf = [](RankedTensorType t) -> Type {
      return MemRefType::get(t.getShape(), t.getElementType());
    };
    Type index = rewriter.getIndexType();
    auto firstType = MemRefType::get({1}, index);
    SmallVector<Type> inputs = {memrefOf(inType)};
    SmallVector<Value> operands = {v.buffer(op.getInput())};
    if (op.getInputScales()) {
      inputs.push_back(memrefOf(op.getInputScales().getType()));
      operands.push_back(v.buffer(op.getInputScales()));
    }
    inputs.push_back(memrefOf(wType));
    operands.push_back(v.buffer(op.getWeights()));
    if (op.getScales()) {
      inputs.push_back(memrefOf(op.getScales().getType()));
      operands.push_back(v.buffer(op.getScales()));
    }
    inputs.push_back(op.getLogits().getType());
    operands.push_back(op.getLogits());
    if (s.firstRowArg)
      inputs.push_back(firstType);
    inputs.append({index, index});
    std::string elem;
    llvm::raw_string_ostream(elem) << wType.getElementType();
    const KernelFamily *family =
        op.getDot() ? findKernelFamily(*op.getDot()) : nullptr;
    if (op.getDot() && (!family || !family->quadDot))
      return rewriter.notifyMatchFailure(op, "unknown dot family");
    const std::string name =
        llvm::formatv("tern_head_{0}_{1}_r{2}_h{3}_v{4}{5}{6}{7}{8}",
                      stringifyHeadFormat(s.format), elem, s.rows, s.hidden,
                      vocab, s.firstRowArg ? "_from" : "",
                      s.prefetch ? "_pf" + std::to_string(s.prefetch) : "",
                      s.prefetch && s.locality != KernelAttr::kDefaultLocality
                          ? "l" + std::to_string(s.locality)
                          : "",
                      family ? "_" + family->name.str() : "")
            .str();
    func::FuncOp fn = getOrBuildFunction(
        op, name, rewriter.getFunctionType(inputs, {}),
        [&](OpBuilder &b, Block *body) {
          if (s.format == HeadFormat::q4)
            buildQ4HeadBody(b, body,
                            Q4HeadShape{s.rows, s.hidden, s.firstRowArg,
                                        s.prefetch, s.locality, family});
          else
            buildHeadBody(b, body, s);
        });
    auto emitCall = [&]() {
      SmallVector<Value> args = operands;
      if (s.firstRowArg) {
        // The first row travels in a memref so that the call stays a
        // tern.parallel call on memrefs.
        Value buf = memref::AllocaOp::create(rewriter, loc, firstType);
        memref::StoreOp::create(rewriter, loc, op.getFirstRow(), buf,
                                ValueRange{v.idx(0)});
        args.push_back(buf);
      }
      args.append({v.idx(0), v.idx(vocab)});
      auto call = func::CallOp::create(rewriter, loc, fn, args);
      call->setAttr(kParallelCallAttr,
                    rewriter.getI64IntegerAttr(kParallelBlocks));
      // One row streams the head: blocks of at most kStreamBlockBytes.
      if (s.rows == 1)
        call->setAttr(kBlockCallAttr,
                      rewriter.getI64IntegerAttr(streamBlockItems(rowBytes)));
    };
    if (!s.firstRowArg) {
      emitCall();
    } else {
      // No call at all when no row's logits are wanted.
      Value any = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ult,
                                        op.getFirstRow(), v.idx(s.rows));
      auto ifOp = scf::IfOp::create(rewriter, loc, any, /*withElse=*/false);
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(ifOp.thenBlock());
      emitCall();
    }
    rewriter.eraseOp(op);
    return success();
  }
};
} // namespace

void mlir::tern::addLmHeadLowering(RewritePatternSet &patterns) {
  patterns.add<LmHeadLowering>(patterns.getContext());
}
