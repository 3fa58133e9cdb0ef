//===- Skeleton.h - What kernel families build their bodies from -*- C++ -*-===//
//
// A generated kernel is an external declaration
//   (memref<MxKxi8> a, memref<N x rowBytes x i8> w, memref<MxNxi32> out,
//    index begin, index end)
// whose body computes out[:, units [begin, end)] (units: columns, or groups
// of the layout's row group) as a loop over tiles of tile.m activation rows
// (the rest as one smaller tile) and, inside, tiles of tile.n units of
// [begin, end) (the rest one at a time). Three skeletons fill the tiles:
//   - the multiply-add skeleton (defineTiledKernel): per tile, tile.m x
//     tile.n dot products over the reduction, each weight byte decoded once
//     per tile (the packing's vector decoder) and each activation loaded
//     once; a family says how one vector step accumulates, over fixed-width
//     vectors (fixedWidthDots) or scalable ones (scalableMultiplyAdd,
//     ScalableSkeleton.cpp);
//   - the lane skeleton (defineLaneKernel, LaneSkeleton.cpp): i32 lanes
//     are output columns of i2x16 weights, activations broadcast;
//   - the lookup-table skeleton (defineLutKernel, LutSkeleton.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_KERNELS_SKELETON_H
#define TERN_COMPILER_KERNELS_SKELETON_H

#include "compiler/Kernels/KernelFamily.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"

#include <functional>

namespace mlir::tern::kernels {

/// A constant vector of `t` with every element `v`.
Value splatConstant(OpBuilder &b, Location loc, VectorType t, int64_t v);
/// A call of the LLVM intrinsic `name` returning `result`.
Value callIntrinsic(OpBuilder &b, Location loc, Type result,
                    llvm::StringRef name, ValueRange args);

/// Whether i32 lanes that add, per step, 4 products of a byte below 256
/// (codes masked in place: code << shift) and an activation of magnitude
/// at most 128 stay in range over `steps` steps.
bool maskedFieldSumsFit(int64_t steps);

/// What the skeleton classes (LutSkeleton.cpp, LaneSkeleton.cpp) build a
/// kernel body with: a builder at the kernel's location, and shorthands for
/// index constants, index arithmetic and splat vectors.
struct BodyBuilder {
  explicit BodyBuilder(func::FuncOp fn)
      : b(fn.getContext()), loc(fn.getLoc()) {}
  OpBuilder b;
  Location loc;
  Value idx(int64_t v);
  Value add(Value x, Value y);
  Value mul(Value x, Value y);
  Value splat(VectorType t, int64_t v) { return splatConstant(b, loc, t, v); }
};

/// Whether a fixed-width family stepping `stepBytes` weight bytes at a time
/// reads `layout` for rows of k: packings in vector order whose block
/// holds whole steps for every position (i2: block % (4 x stepBytes) == 0,
/// base3v: % (5 x stepBytes)).
bool readsVectorOrder(const Layout &layout, int64_t k, int64_t stepBytes);
/// Whether a vector-length-agnostic family (sve, rvv) reads `layout`: a
/// vector-order packing in one block per row (each position's activations
/// are then one contiguous run, whatever the vector length).
bool readsWholeRows(const Layout &layout, int64_t k);

/// Prefill tile rows: the tile's activation rows stay in L1 while its
/// columns stream past, at most 32 KiB of them (8 rows of K = 2560; 4 of
/// K = 6912); min(M, 8) at most.
int64_t prefillTileRows(int64_t m, int64_t k);

/// What a tile sees while a multiply-add kernel body is generated.
struct TileBuilder {
  OpBuilder &b;
  Location loc;
  Value a, w;    ///< memref<MxKxi8> activations, memref<NxRowBytesxi8> weights
  int64_t m, k;  ///< rows, reduction length
  Layout layout; ///< of the weights (a vector-order packing)
  /// Bytes ahead in the weight stream to prefetch (KernelChoice::prefetch).
  int64_t prefetch = 0;
  /// LLVM's locality hint for those prefetches (KernelChoice::locality).
  int64_t locality = kDefaultPrefetchLocality;
  /// Activation vectors of one row that the row tile's prologue loaded
  /// (MultiplyAdd::hold), by their first byte: one-column tiles of that
  /// row use them instead of loading them again for every column.
  Value heldRow;
  llvm::DenseMap<int64_t, Value> heldActs;
  Value idx(int64_t v);
  /// Each of `cols` moved ceil(prefetch / row bytes) columns on (the last
  /// column at most): where the tile's weight loads prefetch. Empty when
  /// the kernel does not prefetch.
  SmallVector<Value> prefetchColumns(ArrayRef<Value> cols);
  /// Prefetches w[col, byte] into the caches for reading, with `locality`.
  void prefetchWeights(Value col, Value byte);
  Value splat(VectorType t, int64_t v) { return splatConstant(b, loc, t, v); }
  Value intrinsic(Type result, llvm::StringRef name, ValueRange args) {
    return callIntrinsic(b, loc, result, name, args);
  }
  /// Weights per byte (the packing's vector positions).
  int64_t perByte() const { return layout.packing->vectorPositions; }
  /// All perByte() code vectors of `bytes` (position j: elements
  /// j * block / perByte() + p of the block), minus `offset` (0: codes
  /// 0..2; 1: the ternary values -1..1).
  SmallVector<Value> allCodes(Value bytes, int64_t offset) {
    return layout.packing->vectorCodes(b, loc, bytes, offset);
  }
};

/// How a multiply-add family computes a tile.
struct MultiplyAdd {
  /// dots[i][j] = sum_k a[rows[i], k] * c(w[cols[j]], k) in i32, where c
  /// is the code the family multiplies by (t + 1 or t).
  std::function<SmallVector<SmallVector<Value>>(
      TileBuilder &, ArrayRef<Value> rows, ArrayRef<Value> cols)>
      dots;
  /// For families that multiply by t + 1: sum_k a[row, k] (i32), which is
  /// subtracted from each dot product. Null when c is t itself.
  std::function<Value(TileBuilder &, Value row)> rowSum;
  /// Null, or loads activation vectors of `row` into tb.heldActs once per
  /// row tile of one-column tiles (decode), before the loop over columns.
  std::function<void(TileBuilder &, Value row)> hold;
};

/// The body of a multiply-add kernel declaration with `choice`.
void defineTiledKernel(func::FuncOp fn, const KernelChoice &choice,
                       const MultiplyAdd &family);

/// Fixed-width families: the dots of a tile over steps of `vecBytes`
/// weight bytes (fully unrolled, or a loop as FixedWidthOptions says); per
/// step and position, `accumulate(acc, pairs)`
/// for each (row, column) pair, pairs being (codes, activations) per
/// position. A 1x1 tile with `chains` > 1 accumulates position j of step
/// s into accumulator (j + perByte() * s) % chains, added up after the
/// loop (the i32 sums are exact in any order), so that consecutive
/// multiply-adds do not wait on each other. With tb.prefetch, each weight
/// load also prefetches the same bytes of the column prefetchColumns()
/// gives.
using AccumulateFn = std::function<Value(
    TileBuilder &, Value acc, ArrayRef<std::pair<Value, Value>> pairs)>;
/// An AccumulateFn that adds each pair into acc with the 3-operand LLVM
/// intrinsic `name` (acc, codes, x): vpdpbusd on 256 or 512 bits.
AccumulateFn intrinsicAccumulate(llvm::StringRef name);
/// How a fixed-width family's tiles step: a 1x1 tile's (a decode column's)
/// accumulators, and whether prefill tiles loop.
struct FixedWidthOptions {
  /// Accumulators (see fixedWidthDots).
  int64_t chains = 1;
  /// The family multiplies unsigned bytes 0..255 exactly (vpdpbusd, not
  /// vpmaddubsw, which saturates): with chains a multiple of the positions
  /// of a packing in bit fields (Packing::fieldShift), so that each chain
  /// sums one position, each position's codes are its bytes masked in
  /// place, times 2^shift, and the position's chains are added and shifted
  /// right by that once after the loop (one instruction per position and
  /// step fewer; exact, as each chain is a multiple of 2^shift that fits
  /// in i32).
  bool fieldCodes = false;
  /// Tiles of more than one row (prefill) step through the reduction in a
  /// loop whose body is one step, instead of fully unrolled: unrolled, a
  /// vnni512 8x2 tile is 112 instructions per step, 1120 over K = 2560,
  /// and prefilled 1.03-1.24x slower per shape on a Zen 5 (avx2: 1.18-1.37x;
  /// docs/performance.md). Decode tiles (one row, memory-bound) stay
  /// unrolled.
  bool rollTiles = false;
  /// A decode row's first `heldVectors` activation vectors are loaded once
  /// per kernel call (MultiplyAdd::hold) and stay in registers across its
  /// columns, instead of one load per column each.
  int64_t heldVectors = 0;
};
SmallVector<SmallVector<Value>>
fixedWidthDots(TileBuilder &tb, ArrayRef<Value> rows, ArrayRef<Value> cols,
               int64_t vecBytes, VectorType accType, int64_t codeOffset,
               const AccumulateFn &accumulate, FixedWidthOptions options = {});

/// A fixed-width family of `vecBytes`-byte steps that multiplies the
/// unsigned codes t + 1 (0..2) by the activations, accumulating into
/// vecBytes / 4 i32 lanes with `accumulate` (stepping as `options`
/// says), and subtracts the activation row sum (computed with the same
/// `accumulate` against ones).
MultiplyAdd offsetCodesMultiplyAdd(int64_t vecBytes, AccumulateFn accumulate,
                                   FixedWidthOptions options = {});
/// A fixed-width family of `vecBytes`-byte steps that multiplies the signed
/// ternary values t by the activations, accumulating into `accType`.
MultiplyAdd signedCodesMultiplyAdd(int64_t vecBytes, VectorType accType,
                                   AccumulateFn accumulate);

/// Vector-length-agnostic families (sve, rvv), which read the weights in
/// one block per row of a vector-order packing: the dots of a tile in one
/// loop over a row's bytes that steps by vscale x `lanes` bytes, with a mask
/// (vector.create_mask, masked loads of zeros past the end) on the last
/// step. Per step, each column's signed ternary values and each row's
/// activations of each position pass through `widen` (when set), then
/// `accumulate(acc, t, x)` adds their products into an accumulator per
/// (row, column) of vscale x `accLanes` i32 lanes, summed after the loop.
struct ScalableStep {
  int64_t lanes = 0, accLanes = 0;
  std::function<Value(TileBuilder &, Value)> widen;
  std::function<Value(TileBuilder &, Value acc, Value t, Value x)> accumulate;
};
MultiplyAdd scalableMultiplyAdd(ScalableStep step);

/// Shared by both skeletons: for each tile of rows (`prologue(rows)` once
/// per row tile), `emitTile(rows, firstUnit, units)` for the units of
/// [begin, end) in tiles of tile.n, then the rest one at a time.
void emitTileLoops(
    OpBuilder &b, Location loc, int64_t m, Tile tile, Value begin, Value end,
    llvm::function_ref<void(ArrayRef<Value> rows)> prologue,
    llvm::function_ref<void(ArrayRef<Value> rows, Value unit, int64_t count)>
        emitTile);

/// The lane skeleton (LaneSkeleton.cpp) over `vecBytes`-byte vectors (64,
/// or 32: each 64-byte chunk in two halves) whose 32-bit lanes are output
/// columns, adding each position's codes times broadcast activations with
/// `accumulate`; reads i2x16.
void defineLaneKernel(func::FuncOp fn, const KernelChoice &choice,
                      int64_t vecBytes, AccumulateFn accumulate);
/// The registry fields every lane family shares: it reads i2x16 where K is
/// a multiple of 64 (whole 64-byte steps in the activation row sums),
/// prefers it in one block per row, and prefetches its weight stream in
/// decode and prefill.
void setLaneLayout(KernelFamily &f);

/// The lookup-table skeleton over `vecBytes`-byte vectors whose byte
/// shuffle is the LLVM intrinsic `shuffle` (table, indices), per 16-byte
/// lane; reads lut2i.
void defineLutKernel(func::FuncOp fn, const KernelChoice &choice,
                     int64_t vecBytes, llvm::StringRef shuffle);

} // namespace mlir::tern::kernels

#endif // TERN_COMPILER_KERNELS_SKELETON_H
