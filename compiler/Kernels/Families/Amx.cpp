//===- Amx.cpp - The amx kernel family (AMX-INT8 tiles, tdpbusd) ----------===//
//
// Prefill matmuls on the tile unit of AMX-INT8 CPUs (Sapphire Rapids and
// later), written in MLIR's `amx` dialect. One `tdpbusd` multiplies a
// 16 x 64 tile of unsigned bytes by a 16 x 64 tile of signed bytes in VNNI
// order into 16 x 16 i32 sums: 16K multiply-adds, where a 512-bit vpdpbusd
// does 64. The operands:
//   - A (unsigned): 16 weight columns x 64 reductions of the codes t + 1
//     (0..2), decoded from 64 bytes of each column (one position of the
//     packing's vector order) into a stack buffer once per tile, read by
//     every row tile;
//   - B (signed): 16 activation rows in VNNI order, B[r][4 m + q] =
//     a[m][64 s + 4 r + q] for the slice s of 64 reductions: the kernel
//     transposes the activations into this order once per call (4 bytes at
//     a time) and sums each row (what multiplying by t + 1 overcounts);
//   - C: 16 columns x 16 rows of i32 sums, stored transposed into `out`
//     minus the row sums.
// Tile [TM, TN] counts AMX tiles: TM x 16 activation rows and TN x 16
// columns computed together (TM x TN accumulators, TN A tiles and one B
// tile in the 8 tile registers); the last row tile holds the M % 16 rows
// left, the last column tile clamps its loads to the range's last column
// and stores only the columns in range. The tile registers are configured
// by LLVM (the x86 backend's tile configuration passes); the process must
// have asked Linux for the tile state (runtime/support/CpuState.h).
//
//===----------------------------------------------------------------------===//

#include "compiler/Kernels/Skeleton.h"

#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::kernels;

namespace {
constexpr int64_t kTileRows = 16;  ///< rows of every AMX tile
constexpr int64_t kTileBytes = 64; ///< bytes of every AMX tile row

struct AmxKernel {
  OpBuilder &b;
  Location loc;
  Value a, w, out, begin, end;
  int64_t m, k;
  Layout layout;
  Tile tile;
  /// Activations in VNNI order [row tile][slice][16][64] and row sums [m].
  Value vnni = {}, sums = {};
  /// The same buffer as words [row tile][slice][16][16] and as allocated.
  Value vnniWords = {}, heap = {};
  /// Decoded codes [tile.n][position][16][64]; one C tile's sums [16][16].
  Value codes = {}, result = {};

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  int64_t rowTiles() const { return (m + kTileRows - 1) / kTileRows; }
  /// Rows of row tile `t` (16, or the rest for the last).
  int64_t rowsOf(int64_t t) const {
    return std::min(kTileRows, m - t * kTileRows);
  }
  amx::TileType tileType(int64_t rows, int64_t cols, Type element) {
    return amx::TileType::get({rows, cols}, element);
  }

  void allocate();
  void emitTranspose();
  void emitRowTiles(int64_t first, int64_t count);
  SmallVector<Value> emitReduction(ArrayRef<Value> cols, int64_t first,
                                   int64_t count);
  void emitStores(Value col0, int64_t first, int64_t count,
                  ArrayRef<Value> acc);
};

void AmxKernel::allocate() {
  auto i8 = b.getI8Type(), i32 = b.getI32Type();
  // The transposed activations can be large (64 rows x 6912 = 432 KiB): on
  // the heap, freed at the end.
  // One byte buffer, seen as bytes by the tile loads and as 4-byte words
  // (one tile row's 4 reductions of one activation row) by the transpose.
  const int64_t bytes = rowTiles() * k * kTileRows;
  Value buffer = memref::AllocOp::create(b, loc, MemRefType::get({bytes}, i8),
                                         b.getI64IntegerAttr(64));
  vnni = memref::ViewOp::create(
      b, loc,
      MemRefType::get({rowTiles(), k / kTileBytes, kTileRows, kTileBytes}, i8),
      buffer, idx(0), ValueRange{});
  vnniWords = memref::ViewOp::create(
      b, loc,
      MemRefType::get({rowTiles(), k / kTileBytes, kTileRows, kTileRows}, i32),
      buffer, idx(0), ValueRange{});
  heap = buffer;
  sums = memref::AllocaOp::create(b, loc, MemRefType::get({m}, i32));
  const int64_t positions = layout.packing->vectorPositions;
  codes = memref::AllocaOp::create(
      b, loc,
      MemRefType::get({tile.n, positions, kTileRows, kTileBytes}, i8),
      b.getI64IntegerAttr(64));
  result = memref::AllocaOp::create(
      b, loc, MemRefType::get({kTileRows, kTileRows}, i32),
      b.getI64IntegerAttr(64));
}

/// vnni[t][s][r][4 i + q] = a[16 t + i][64 s + 4 r + q]; sums[row] = sum of
/// the row.
void AmxKernel::emitTranspose() {
  auto bytesType = VectorType::get({kTileBytes}, b.getI8Type());
  auto wideType = VectorType::get({kTileBytes}, b.getI32Type());
  auto zero = arith::ConstantIntOp::create(b, loc, 0, 32);
  for (int64_t row = 0; row < m; ++row)
    memref::StoreOp::create(b, loc, zero, sums, ValueRange{idx(row)});
  auto loop = scf::ForOp::create(b, loc, idx(0), idx(k / kTileBytes), idx(1));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value s = loop.getInductionVar();
  Value first = arith::MulIOp::create(b, loc, s, idx(kTileBytes));
  for (int64_t row = 0; row < m; ++row) {
    Value x = vector::LoadOp::create(b, loc, bytesType, a,
                                     ValueRange{idx(row), first});
    Value wide = arith::ExtSIOp::create(b, loc, wideType, x);
    Value part =
        vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, wide);
    Value sum = memref::LoadOp::create(b, loc, sums, ValueRange{idx(row)});
    memref::StoreOp::create(b, loc, arith::AddIOp::create(b, loc, sum, part),
                            sums, ValueRange{idx(row)});
    const int64_t t = row / kTileRows, i = row % kTileRows;
    Value words = vector::BitCastOp::create(
        b, loc, VectorType::get({kTileRows}, b.getI32Type()), x);
    for (int64_t r = 0; r < kTileRows; ++r)
      memref::StoreOp::create(
          b, loc, vector::ExtractOp::create(b, loc, words, r), vnniWords,
          ValueRange{idx(t), s, idx(r), idx(i)});
  }
}

/// The sums of row tiles [first, first + count) and the tile.n column tiles
/// whose A rows read `cols` (16 per tile): acc[t * tile.n + j].
SmallVector<Value> AmxKernel::emitReduction(ArrayRef<Value> cols,
                                            int64_t first, int64_t count) {
  auto i8 = b.getI8Type(), i32 = b.getI32Type();
  auto bytesType = VectorType::get({kTileBytes}, i8);
  SmallVector<Value> init;
  for (int64_t t = 0; t < count; ++t)
    for (int64_t j = 0; j < tile.n; ++j)
      init.push_back(amx::TileZeroOp::create(
          b, loc, tileType(kTileRows, rowsOf(first + t), i32)));
  const int64_t positions = layout.packing->vectorPositions;
  const int64_t part = layout.block / positions; // bytes per block and row
  auto loop = scf::ForOp::create(b, loc, idx(0), idx(k / layout.block),
                                 idx(1), init);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value blk = loop.getInductionVar();
  SmallVector<Value> acc(loop.getRegionIterArgs());
  for (int64_t c = 0; c < part; c += kTileBytes) {
    // Byte blk * part + c + p of a column holds reduction
    // blk * block + pos * part + c + p at position pos.
    Value byte = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, blk, idx(part)), idx(c));
    for (int64_t j = 0; j < tile.n; ++j)
      for (int64_t r = 0; r < kTileRows; ++r) {
        Value bytes = vector::LoadOp::create(
            b, loc, bytesType, w, ValueRange{cols[j * kTileRows + r], byte});
        SmallVector<Value> decoded =
            layout.packing->vectorCodes(b, loc, bytes, /*offset=*/0);
        for (int64_t pos = 0; pos < positions; ++pos)
          vector::StoreOp::create(
              b, loc, decoded[pos], codes,
              ValueRange{idx(j), idx(pos), idx(r), idx(0)});
      }
    for (int64_t pos = 0; pos < positions; ++pos) {
      SmallVector<Value> lhs;
      for (int64_t j = 0; j < tile.n; ++j)
        lhs.push_back(amx::TileLoadOp::create(
            b, loc, tileType(kTileRows, kTileBytes, i8), codes,
            ValueRange{idx(j), idx(pos), idx(0), idx(0)}));
      // The slice of 64 reductions: (blk * block + pos * part + c) / 64.
      Value slice = arith::AddIOp::create(
          b, loc,
          arith::MulIOp::create(b, loc, blk, idx(layout.block / kTileBytes)),
          idx((pos * part + c) / kTileBytes));
      for (int64_t t = 0; t < count; ++t) {
        const int64_t rows = rowsOf(first + t);
        Value rhs = amx::TileLoadOp::create(
            b, loc, tileType(kTileRows, 4 * rows, i8), vnni,
            ValueRange{idx(first + t), slice, idx(0), idx(0)});
        for (int64_t j = 0; j < tile.n; ++j) {
          Value &sum = acc[t * tile.n + j];
          sum = amx::TileMulIOp::create(b, loc, sum.getType(), lhs[j], rhs,
                                        sum, /*isZextLhs=*/true,
                                        /*isZextRhs=*/false);
        }
      }
    }
  }
  scf::YieldOp::create(b, loc, acc);
  return loop.getResults();
}

/// out[16 t + i][col0 + 16 j + n] = acc[t][j][n][i] - sums[16 t + i] for
/// the columns before `end`.
void AmxKernel::emitStores(Value col0, int64_t first, int64_t count,
                           ArrayRef<Value> acc) {
  for (int64_t t = 0; t < count; ++t)
    for (int64_t j = 0; j < tile.n; ++j) {
      amx::TileStoreOp::create(b, loc, result, ValueRange{idx(0), idx(0)},
                               acc[t * tile.n + j]);
      for (int64_t n = 0; n < kTileRows; ++n) {
        Value col = arith::AddIOp::create(b, loc, col0,
                                          idx(j * kTileRows + n));
        Value inRange = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::ult, col, end);
        auto guard = scf::IfOp::create(b, loc, inRange);
        OpBuilder::InsertionGuard ig(b);
        b.setInsertionPointToStart(guard.thenBlock());
        for (int64_t i = 0; i < rowsOf(first + t); ++i) {
          Value row = idx((first + t) * kTileRows + i);
          Value v = memref::LoadOp::create(b, loc, result,
                                           ValueRange{idx(n), idx(i)});
          Value s = memref::LoadOp::create(b, loc, sums, ValueRange{row});
          memref::StoreOp::create(b, loc,
                                  arith::SubIOp::create(b, loc, v, s), out,
                                  ValueRange{row, col});
        }
      }
    }
}

/// Row tiles [first, first + count) against every column of [begin, end),
/// 16 x tile.n columns at a time.
void AmxKernel::emitRowTiles(int64_t first, int64_t count) {
  const int64_t step = kTileRows * tile.n;
  auto loop = scf::ForOp::create(b, loc, begin, end, idx(step));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value col0 = loop.getInductionVar();
  // Columns past the range read the range's last column (their sums are
  // not stored).
  Value last = arith::SubIOp::create(b, loc, end, idx(1));
  SmallVector<Value> cols;
  for (int64_t n = 0; n < step; ++n)
    cols.push_back(arith::MinUIOp::create(
        b, loc, arith::AddIOp::create(b, loc, col0, idx(n)), last));
  SmallVector<Value> acc = emitReduction(cols, first, count);
  emitStores(col0, first, count, acc);
}

void define(func::FuncOp fn, const KernelChoice &choice) {
  OpBuilder b(fn.getContext());
  auto aType = cast<MemRefType>(fn.getArgumentTypes()[0]);
  fn.setPrivate();
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  AmxKernel kernel{b,
                   fn.getLoc(),
                   entry->getArgument(0),
                   entry->getArgument(1),
                   entry->getArgument(2),
                   entry->getArgument(3),
                   entry->getArgument(4),
                   aType.getDimSize(0),
                   aType.getDimSize(1),
                   choice.layout,
                   choice.tile};
  kernel.allocate();
  kernel.emitTranspose();
  for (int64_t first = 0; first < kernel.rowTiles(); first += choice.tile.m)
    kernel.emitRowTiles(first,
                        std::min(choice.tile.m, kernel.rowTiles() - first));
  memref::DeallocOp::create(b, kernel.loc, kernel.heap);
  func::ReturnOp::create(b, kernel.loc);
}
} // namespace

const KernelFamily &mlir::tern::amxFamily() {
  static const KernelFamily f = [] {
    KernelFamily f;
    f.name = "amx";
    f.summary = "tdpbusd on AMX-INT8 tiles (16 columns x 16 rows x 64), "
                "prefill of at least 16 rows";
    f.arch = llvm::Triple::x86_64;
    f.features = {{"amx-int8", "amx-tile"}};
    f.osState = "amx-tiles";
    // Ahead of vnni512 (same rank, earlier in Families.def) for prefill of
    // 16 rows or more: 64-row chunks of the 2B4T matmuls 2.7-5.4x faster
    // on one core, pp128 1.88x (docs/performance.md, "Prefill on AMX
    // tiles"). Decode (M = 1) and batches under 16 rows stay on vnni512.
    f.prefillRank = 0;
    f.minRows = kTileRows;
    // Each call transposes the chunk's activations (all of K for every
    // row): one call per thread.
    f.parallelBlocks = 1;
    f.reads = [](const Layout &l, int64_t k) {
      return readsVectorOrder(l, k, kTileBytes);
    };
    f.preferredBlock = [](int64_t) -> int64_t { return 256; };
    f.tileUnit = {kTileRows, kTileRows};
    // Four row tiles (64 rows) against one column tile: 4 accumulators,
    // one A and one B tile of the 8 registers. [2, 2] (half the B tile
    // loads, twice the decoding) was 1.1-1.5x slower on the 2B4T shapes
    // (tern-kernel-bench --benchmark_filter=prefill64_amx).
    f.defaultTile = [](int64_t m, int64_t, int64_t) {
      return Tile{std::clamp<int64_t>((m + kTileRows - 1) / kTileRows, 1, 4),
                  1};
    };
    f.maxTile = {4, 2};
    f.maxAccumulators = 4;
    f.decodeMaxTileN = 1;
    f.define = define;
    return f;
  }();
  return f;
}
