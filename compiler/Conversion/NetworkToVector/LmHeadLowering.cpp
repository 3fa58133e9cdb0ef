//===- LmHeadLowering.cpp - tern.lm_head as vector code -------------------===//
//
// One outlined function per head shape and format computes vocabulary
// rows [begin, end) for every wanted token row, called as a `tern.parallel`
// range over all V rows. The dot product keeps 32 partial sums
// (vector<32xf32>) when H is a multiple of 32, folded to 8 as
// (p[l] + p[l+16]) + (p[l+8] + p[l+24]) and summed by the lane tree; else 8
// lanes. Weights per format: native rows widened to f32; int8 codes to f32
// and the dot times the row's scale; q4 bytes split into their nibbles
// (16 low, then 16 high), minus 8, times the group's scale. With a first
// row, the call is skipped when no row is wanted. With `prefetch = P`,
// the loops that compute one token row's logits prefetch each loaded
// vocabulary row's columns ceil(P / row bytes) rows ahead; the grouped
// q4 loop prefetches a later group's rows a line at a time
// (prefetchGroup); the batched loop, bound by arithmetic, does not.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NetworkToVector/HeadDot.h"
#include "compiler/Conversion/NetworkToVector/NetworkToVector.h"

#include "llvm/Support/FormatVariadic.h"

#include "runtime/model/HeadFormat.h"

using namespace mlir;
using namespace mlir::tern;

namespace {

/// q4 vocabulary rows computed together when one token row's logits are
/// wanted (decode, the last row of a prefill chunk).
constexpr int64_t kHeadRowGroup = 8;

/// What the head function is built for.
struct HeadShape {
  HeadFormat format;
  int64_t rows, hidden;
  bool firstRowArg; ///< takes memref<1xindex> first_row
  int64_t prefetch; ///< bytes ahead (0: none)
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

/// For a group of n q4 rows from `row0` at column k (16 bytes of each row
/// a step, 16n together; the group's rows are contiguous): prefetches the
/// next 16n bytes, a line at a time, of the rows max(n, ceil(P / row
/// bytes)) on, so that over its steps a group prefetches a later group
/// whole. (A prefetch per loaded row and step, one per 16 bytes, made the
/// loop 1.7x slower: tern-kernel-bench head/q4 14 -> 24 ms.)
void prefetchGroup(VectorBuilder &v, const HeadShape &s, Value weights,
                   Value row0, int64_t n, Value k) {
  if (s.prefetch <= 0)
    return;
  OpBuilder &b = v.b;
  Location loc = v.loc;
  auto type = cast<MemRefType>(weights.getType());
  const int64_t rowBytes = type.getDimSize(1), stepBytes = 16 * n;
  const int64_t ahead =
      std::max(n, (s.prefetch + rowBytes - 1) / rowBytes);
  Value first = arith::MulIOp::create(
      b, loc, arith::DivUIOp::create(b, loc, k, v.idx(32)),
      v.idx(stepBytes));
  for (int64_t line = 0; line < stepBytes; line += 64) {
    Value off = arith::AddIOp::create(b, loc, first, v.idx(line));
    Value row = arith::AddIOp::create(
        b, loc, row0,
        arith::AddIOp::create(
            b, loc, v.idx(ahead),
            arith::DivUIOp::create(b, loc, off, v.idx(rowBytes))));
    row = arith::MinUIOp::create(b, loc, row, v.idx(type.getDimSize(0) - 1));
    Value col = arith::RemUIOp::create(b, loc, off, v.idx(rowBytes));
    memref::PrefetchOp::create(b, loc, weights, ValueRange{row, col},
                               /*isWrite=*/false, /*localityHint=*/1,
                               /*isDataCache=*/true);
  }
}

/// Loads `w` weights of vocabulary row `row` at column k as f32 lanes;
/// with `ahead` (prefetchRow), prefetches the same bytes of that row.
Value loadWeights(VectorBuilder &v, HeadFormat f, Value weights, Value scales,
                  Value row, Value k, int64_t w, Value ahead = {}) {
  OpBuilder &b = v.b;
  Location loc = v.loc;
  Type f32 = b.getF32Type(), i8 = b.getI8Type();
  if (ahead) {
    // q4 rows hold two codes a byte. Locality 1 (prefetcht2 on x86): the
    // head is read once per token; into L1 (3) was slower on a Xeon.
    Value col = f == HeadFormat::q4
                    ? Value(arith::DivUIOp::create(b, loc, k, v.idx(2)))
                    : k;
    memref::PrefetchOp::create(b, loc, weights, ValueRange{ahead, col},
                               /*isWrite=*/false, /*localityHint=*/1,
                               /*isDataCache=*/true);
  }
  if (f == HeadFormat::native)
    return loadNativeRow(v, weights, row, k, w);
  if (f == HeadFormat::int8)
    return arith::SIToFPOp::create(b, loc, v.vec(f32, w),
                                   v.vload(weights, {row, k}, w));
  // q4 (w == 32 == the group): 16 bytes, low nibbles are codes 0..15 of
  // the group, high nibbles codes 16..31; weight = (code - 8) * scale.
  Value bytes = v.vload(
      weights, {row, arith::DivUIOp::create(b, loc, k, v.idx(2))}, 16);
  auto c8 = [&](int64_t width, int64_t c) -> Value {
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(v.vec(i8, width), b.getIntegerAttr(i8, c)));
  };
  Value lo = arith::AndIOp::create(b, loc, bytes, c8(16, 15));
  Value hi = arith::ShRUIOp::create(b, loc, bytes, c8(16, 4));
  SmallVector<int64_t> mask;
  for (int64_t i = 0; i < 32; ++i)
    mask.push_back(i);
  Value codes = vector::ShuffleOp::create(b, loc, lo, hi, mask);
  Value q = arith::SubIOp::create(b, loc, codes, c8(32, 8));
  Value fq = arith::SIToFPOp::create(b, loc, v.vec(f32, 32), q);
  Value g = arith::DivUIOp::create(b, loc, k, v.idx(::tern::kHeadQ4Group));
  Value s = memref::LoadOp::create(b, loc, scales, ValueRange{row, g});
  return arith::MulFOp::create(b, loc, fq, v.vsplat(s, 32));
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
  Value first = s.firstRowArg
                    ? Value(memref::LoadOp::create(b, v.loc,
                                                   body->getArgument(arg++),
                                                   ValueRange{v.idx(0)}))
                    : v.idx(0);
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
              return loadWeights(v, s.format, weights, scales, row, k, 32);
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
  if (s.format == HeadFormat::q4 && s.hidden % 32 == 0) {
    // q4 is bound by the unpacking, not by memory: vocabulary rows in
    // groups of kHeadRowGroup, each 32 columns of the token row loaded
    // once for the group, the group's sums independent chains. Each row's
    // sums are still headDot's, in the same order. (Native and int8 rows
    // stream no faster grouped: tern-kernel-bench head/...)
    auto group = [&](Value row0, int64_t n) {
      auto rowAt = [&](int64_t i) -> Value {
        return arith::AddIOp::create(b, v.loc, row0, v.idx(i));
      };
      v.forEach(first, v.idx(s.rows), 1, [&](Value r) {
        SmallVector<Value> sums = headSums(
            v, s.hidden, n,
            [&](Value k) {
              prefetchGroup(v, s, weights, row0, n, k);
              return v.vload(x, {r, k}, 32);
            },
            [&](int64_t i, Value k, Value xv) {
              return std::make_pair(xv, loadWeights(v, s.format, weights,
                                                    scales, rowAt(i), k, 32));
            });
        for (int64_t i = 0; i < n; ++i)
          finish(sums[i], rowAt(i), r);
      });
    };
    const int64_t g = kHeadRowGroup;
    // [begin, whole) in groups, [whole, end) one row at a time.
    Value count = arith::SubIOp::create(b, v.loc, end, begin);
    Value whole = arith::AddIOp::create(
        b, v.loc, begin,
        arith::MulIOp::create(
            b, v.loc, arith::DivUIOp::create(b, v.loc, count, v.idx(g)),
            v.idx(g)));
    v.forEach(begin, whole, g, [&](Value row0) { group(row0, g); });
    v.forEach(whole, end, 1, [&](Value row) { group(row, 1); });
    func::ReturnOp::create(b, v.loc);
    return;
  }
  v.forEach(begin, end, 1, [&](Value row) {
    Value ahead = prefetchRow(v, s, weights, row);
    v.forEach(first, v.idx(s.rows), 1, [&](Value r) {
      Value d = headDot(
          v, s.hidden, [&](Value k, int64_t w) { return v.vload(x, {r, k}, w); },
          [&](Value k, int64_t w) {
            return loadWeights(v, s.format, weights, scales, row, k, w, ahead);
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
                      static_cast<int64_t>(op.getPrefetch().value_or(0))};
    const int64_t vocab = wType.getDimSize(0);
    auto memrefOf = [](RankedTensorType t) -> Type {
      return MemRefType::get(t.getShape(), t.getElementType());
    };
    Type index = rewriter.getIndexType();
    auto firstType = MemRefType::get({1}, index);
    SmallVector<Type> inputs = {memrefOf(inType), memrefOf(wType)};
    SmallVector<Value> operands = {v.buffer(op.getInput()),
                                   v.buffer(op.getWeights())};
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
    const std::string name =
        llvm::formatv("tern_head_{0}_{1}_r{2}_h{3}_v{4}{5}{6}",
                      stringifyHeadFormat(s.format), elem, s.rows, s.hidden,
                      vocab, s.firstRowArg ? "_from" : "",
                      s.prefetch ? "_pf" + std::to_string(s.prefetch) : "")
            .str();
    func::FuncOp fn = getOrBuildFunction(
        op, name, rewriter.getFunctionType(inputs, {}),
        [&](OpBuilder &b, Block *body) { buildHeadBody(b, body, s); });
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
      call->setAttr("tern.parallel", rewriter.getUnitAttr());
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
