//===- LmHeadLowering.cpp - tern.lm_head as vector code -------------------===//
//
// One outlined function per head shape and format computes vocabulary
// rows [begin, end) for every wanted token row, called as a `tern.parallel`
// range over all V rows. The native head's dot product keeps 32 partial
// sums (vector<32xf32>) when H is a multiple of 32, folded to 8 as
// (p[l] + p[l+16]) + (p[l+8] + p[l+24]) and summed by the lane tree; else
// 8 lanes, over its rows widened to f32. q4 and int8 multiply in
// integers: q4 and int8 of quantized token rows (Q4HeadLowering.cpp,
// Int8HeadLowering.cpp), int8 of f32 token rows (the screened head's
// scan) against the rows quantized to 15 bits (ScreenScanLowering.cpp).
// With a first row, the call is skipped when no row is wanted. Where
// every one of several token rows is wanted (batched decode), the loop
// computes the op's tile of vocabulary rows x token rows per pass over the
// columns. With `prefetch = P`, each loaded vocabulary row's columns are
// prefetched ceil(P / row bytes) rows ahead (by the first group of token
// rows in the batched loop).
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NetworkToVector/HeadDot.h"
#include "compiler/Conversion/NetworkToVector/NetworkToVector.h"
#include "compiler/Conversion/ParallelToRuntime/ParallelToRuntime.h"
#include "compiler/Kernels/KernelFamily.h"

#include "llvm/Support/FormatVariadic.h"

#include "runtime/model/HeadFormat.h"

#include <array>

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
  /// Vocabulary rows x token rows per pass of the batched loop (the op's
  /// tile, 1 x 4 without one).
  std::array<int64_t, 2> tile;
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

/// The dot products of `nv` vocabulary rows with `nt` token rows, 32 lanes
/// each over columns [0, h) in steps of 32, as independent sums: per
/// column k, `loadW(j, k)` loads vocabulary row j's lanes once, then each
/// token row's lanes `loadX(i, k)` are loaded once and multiplied by every
/// vocabulary row's, each product added before the next token row is
/// loaded (fewer vectors live at once). Each sum accumulates in headDot's
/// order; returns the folded sums, vocabulary row major.
SmallVector<Value> headSums(VectorBuilder &v, int64_t h, int64_t nv, int64_t nt,
                            const std::function<Value(int64_t, Value)> &loadW,
                            const std::function<Value(int64_t, Value)> &loadX) {
  OpBuilder &b = v.b;
  SmallVector<Value> init(static_cast<size_t>(nv * nt),
                          v.vzero(b.getF32Type(), 32));
  auto loop =
      scf::ForOp::create(b, v.loc, v.idx(0), v.idx(h), v.idx(32), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value k = loop.getInductionVar();
    SmallVector<Value> w;
    for (int64_t j = 0; j < nv; ++j)
      w.push_back(loadW(j, k));
    SmallVector<Value> next(init.size());
    for (int64_t i = 0; i < nt; ++i) {
      Value x = loadX(i, k);
      for (int64_t j = 0; j < nv; ++j) {
        const size_t at = static_cast<size_t>(j * nt + i);
        next[at] =
            arith::AddFOp::create(b, v.loc, loop.getRegionIterArgs()[at],
                                  arith::MulFOp::create(b, v.loc, x, w[j]));
      }
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

/// Loads `w` native weights of vocabulary row `row` at column k as f32
/// lanes; with `ahead` (prefetchRow), prefetches the same bytes of that
/// row with `locality` (the op's prefetch_locality).
Value loadWeights(VectorBuilder &v, Value weights, Value row, Value k,
                  int64_t w, Value ahead = {},
                  int64_t locality = KernelAttr::kDefaultLocality) {
  if (ahead)
    memref::PrefetchOp::create(v.b, v.loc, weights, ValueRange{ahead, k},
                               /*isWrite=*/false, /*localityHint=*/locality,
                               /*isDataCache=*/true);
  return loadNativeRow(v, weights, row, k, w);
}

/// Stores logit `d` of vocabulary row `row` for token row `r`.
using FinishFn = std::function<void(Value d, Value row, Value r)>;

/// The batched loop (every one of several token rows wanted) over
/// vocabulary rows [begin, end): per 32 columns, the weights of a tile's
/// vocabulary rows are loaded and converted once for its group of token
/// rows, each sum in headDot's order; whole tiles of s.tile[0] rows, then
/// the rows left one at a time.
void buildBatchedHeadLoop(VectorBuilder &v, const HeadShape &s, Value x,
                          Value weights, Value begin, Value end,
                          const FinishFn &finish) {
  OpBuilder &b = v.b;
  const int64_t nv = s.tile[0], group = s.tile[1];
  // The end of the whole tiles.
  Value whole = arith::SubIOp::create(
      b, v.loc, end,
      arith::RemUIOp::create(
          b, v.loc, arith::SubIOp::create(b, v.loc, end, begin), v.idx(nv)));
  auto block = [&](int64_t m, Value row) {
    SmallVector<Value> rowAt = {row};
    for (int64_t j = 1; j < m; ++j)
      rowAt.push_back(arith::AddIOp::create(b, v.loc, row, v.idx(j)));
    // The first group's loads prefetch (every group loads the same rows).
    SmallVector<Value> ahead;
    for (int64_t j = 0; j < m; ++j)
      ahead.push_back(prefetchRow(v, s, weights, rowAt[j]));
    for (int64_t r0 = 0; r0 < s.rows; r0 += group) {
      const int64_t n = std::min(group, s.rows - r0);
      SmallVector<Value> sums = headSums(
          v, s.hidden, m, n,
          [&](int64_t j, Value k) {
            return loadWeights(v, weights, rowAt[j], k, 32,
                               r0 == 0 ? ahead[j] : Value(), s.locality);
          },
          [&](int64_t i, Value k) {
            return v.vload(x, {v.idx(r0 + i), k}, 32);
          });
      for (int64_t j = 0; j < m; ++j)
        for (int64_t i = 0; i < n; ++i)
          finish(sums[j * n + i], rowAt[j], v.idx(r0 + i));
    }
  };
  v.forEach(begin, whole, nv, [&](Value row) { block(nv, row); });
  if (nv > 1)
    v.forEach(whole, end, 1, [&](Value row) { block(1, row); });
}

/// The native head function's body: (x [R, H], weights, logits[,
/// first_row], begin, end).
void buildHeadBody(OpBuilder &b, Block *body, const HeadShape &s) {
  VectorBuilder v{b, b.getUnknownLoc()};
  unsigned arg = 0;
  Value x = body->getArgument(arg++), weights = body->getArgument(arg++);
  Value logits = body->getArgument(arg++);
  Value first = firstRowOf(v, body, arg, s.firstRowArg);
  const bool flat = cast<MemRefType>(logits.getType()).getRank() == 1;
  auto finish = [&](Value d, Value row, Value r) {
    if (flat)
      memref::StoreOp::create(b, v.loc, d, logits, ValueRange{row});
    else
      memref::StoreOp::create(b, v.loc, d, logits, ValueRange{r, row});
  };
  if (!s.firstRowArg && s.rows > 1 && s.hidden % 32 == 0) {
    buildBatchedHeadLoop(v, s, x, weights, body->getArgument(arg),
                         body->getArgument(arg + 1), finish);
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
            return loadWeights(v, weights, row, k, w, ahead, s.locality);
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
    HeadShape s{op.getFormat(),
                inType.getDimSize(0),
                inType.getDimSize(1),
                op.getFirstRow() != nullptr,
                static_cast<int64_t>(op.getPrefetch().value_or(0)),
                static_cast<int64_t>(op.getPrefetchLocality().value_or(
                    KernelAttr::kDefaultLocality)),
                {1, 4}};
    if (std::optional<ArrayRef<int64_t>> tile = op.getTile())
      s.tile = {(*tile)[0], (*tile)[1]};
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
    // int8 of quantized token rows: "int8q".
    const std::string format =
        (stringifyHeadFormat(s.format) +
         (op.isInteger() && s.format == HeadFormat::int8 ? "q" : ""))
            .str();
    const std::string name =
        llvm::formatv("tern_head_{0}_{1}_r{2}_h{3}_v{4}{5}{6}{7}{8}", format,
                      elem, s.rows, s.hidden,
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
          const IntegerHeadShape integer{s.rows,     s.hidden,   s.firstRowArg,
                                         s.prefetch, s.locality, family,
                                         op.isInteger()};
          if (s.format == HeadFormat::q4)
            buildQ4HeadBody(b, body, integer);
          else if (s.format == HeadFormat::int8 && op.isInteger())
            buildInt8HeadBody(b, body, integer);
          else if (s.format == HeadFormat::int8)
            buildScreenScanBody(b, body, integer);
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
