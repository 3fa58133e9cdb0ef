//===- TernToKernels.cpp - Ternary matmuls to generated kernels -----------===//
//
// See the pass description in compiler/Conversion/Passes.td.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/TernToKernels/TernToKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

#include <algorithm>

namespace mlir::tern {
#define GEN_PASS_DEF_GENERATETERNKERNELS
#define GEN_PASS_DEF_CONVERTTERNTOKERNELS
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::kernels;

bool mlir::tern::kernels::isLutFamily(llvm::StringRef family) {
  return family == "lut" || family == "lut512" || family == "neon-lut";
}

bool mlir::tern::kernels::isKernelFamily(llvm::StringRef family) {
  return family == "avx2" || family == "vnni" || family == "vnni512" ||
         family == "neon-dotprod" || family == "sve" || isLutFamily(family);
}

const char *mlir::tern::kernels::kernelFamilies() {
  return "avx2, vnni, vnni512, neon-dotprod, sve, lut, lut512 or neon-lut";
}

int64_t mlir::tern::kernels::rangeUnits(PackingKind packing, int64_t n) {
  return n / ::tern::packedRowGroup(toRuntimeKind(packing));
}

bool mlir::tern::kernels::supportsLayout(llvm::StringRef family,
                                         int64_t block, int64_t k) {
  if (block <= 0 || k % block)
    return false;
  if (family == "avx2" || family == "vnni")
    return block % 128 == 0;
  if (family == "vnni512")
    return block % 256 == 0;
  if (family == "neon-dotprod")
    return block % 64 == 0;
  if (family == "sve")
    return block == k;
  return false;
}

bool mlir::tern::kernels::supportsLayout(llvm::StringRef family,
                                         PackingKind packing, int64_t block,
                                         int64_t k) {
  if (packing == PackingKind::lut2i) {
    if (block <= 0 || k % block || block % 4)
      return false;
    if (family == "lut")
      return k % 4 == 0;
    if (family == "lut512")
      return k % 8 == 0;
    return family == "neon-lut";
  }
  if (isLutFamily(family))
    return false;
  if (packing == PackingKind::i2)
    return supportsLayout(family, block, k);
  if (packing != PackingKind::base3v || block <= 0 || k % block)
    return false;
  if (family == "avx2" || family == "vnni")
    return block % 160 == 0;
  if (family == "vnni512")
    return block % 320 == 0;
  if (family == "neon-dotprod")
    return block % 80 == 0;
  return false;
}

FailureOr<KernelConfig>
mlir::tern::kernels::parseConfig(Operation *op, DictionaryAttr attr,
                                 const KernelConfig &defaults) {
  KernelConfig c = defaults;
  if (!attr)
    return c;
  for (NamedAttribute na : attr) {
    llvm::StringRef key = na.getName().getValue();
    if (key == "family") {
      auto s = dyn_cast<StringAttr>(na.getValue());
      if (!s || !isKernelFamily(s.getValue()))
        return op->emitError() << kConfigAttr << ": family must be one of "
                               << kernelFamilies();
      c.family = s.getValue().str();
    } else if (key == "tile_m" || key == "tile_n") {
      auto i = dyn_cast<IntegerAttr>(na.getValue());
      if (!i || i.getInt() < 1 || i.getInt() > kMaxTile)
        return op->emitError() << kConfigAttr << ": " << key
                               << " must be an integer in [1, " << kMaxTile
                               << "]";
      (key == "tile_m" ? c.tileM : c.tileN) = i.getInt();
    } else {
      return op->emitError() << kConfigAttr << ": unknown key '" << key
                             << "' (expected family, tile_m, tile_n)";
    }
  }
  return c;
}

DictionaryAttr mlir::tern::kernels::configAttr(MLIRContext *ctx,
                                               const KernelConfig &c) {
  Builder b(ctx);
  return b.getDictionaryAttr(
      {b.getNamedAttr("family", b.getStringAttr(c.family)),
       b.getNamedAttr("tile_m", b.getI64IntegerAttr(c.tileM)),
       b.getNamedAttr("tile_n", b.getI64IntegerAttr(c.tileN))});
}

Value I2KernelBuilder::idx(int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value mlir::tern::kernels::splatConstant(OpBuilder &b, Location loc,
                                         VectorType t, int64_t v) {
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(t, b.getIntegerAttr(t.getElementType(), v)));
}

Value mlir::tern::kernels::callIntrinsic(OpBuilder &b, Location loc,
                                         Type result, llvm::StringRef name,
                                         ValueRange args) {
  return LLVM::CallIntrinsicOp::create(b, loc, result, b.getStringAttr(name),
                                       args)
      .getResult(0);
}

Value I2KernelBuilder::splat(VectorType t, int64_t v) {
  return splatConstant(b, loc, t, v);
}

Value I2KernelBuilder::intrinsic(Type result, llvm::StringRef name,
                                 ValueRange args) {
  return callIntrinsic(b, loc, result, name, args);
}

Value I2KernelBuilder::codes(Value bytes, int j, int64_t offset) {
  auto t = cast<VectorType>(bytes.getType());
  Value c = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, bytes, splat(t, 6 - 2 * j)),
      splat(t, 3));
  if (offset)
    c = arith::SubIOp::create(b, loc, c, splat(t, offset));
  return c;
}

SmallVector<Value> I2KernelBuilder::allCodes(Value bytes, int64_t offset) {
  SmallVector<Value> out;
  if (packing == PackingKind::i2) {
    for (int j = 0; j < 4; ++j)
      out.push_back(codes(bytes, j, offset));
    return out;
  }
  // base3v: digit j = (x >= 86) + (x >= 171), then x = 3x mod 256.
  auto t = cast<VectorType>(bytes.getType());
  auto atLeast = [&](Value x, int64_t c) -> Value {
    Value ge = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, x,
                                     splat(t, c));
    return arith::ExtUIOp::create(b, loc, t, ge);
  };
  Value x = bytes;
  for (int j = 0; j < 5; ++j) {
    if (j)
      x = arith::AddIOp::create(b, loc,
                                arith::AddIOp::create(b, loc, x, x), x);
    Value c = arith::AddIOp::create(b, loc, atLeast(x, 86), atLeast(x, 171));
    if (offset)
      c = arith::SubIOp::create(b, loc, c, splat(t, offset));
    out.push_back(c);
  }
  return out;
}

SmallVector<SmallVector<Value>> mlir::tern::kernels::fixedWidthDots(
    I2KernelBuilder &kb, ArrayRef<Value> rows, ArrayRef<Value> cols,
    int64_t vecBytes, VectorType accType, int64_t codeOffset,
    const AccumulateFn &accumulate) {
  auto bytesType = VectorType::get({vecBytes}, kb.b.getI8Type());
  SmallVector<SmallVector<Value>> acc(
      rows.size(), SmallVector<Value>(cols.size(), kb.splat(accType, 0)));
  const int64_t per = kb.perByte();
  const int64_t part = kb.block / per; // bytes per block and row
  for (int64_t blk = 0; blk < kb.k / kb.block; ++blk)
    for (int64_t c = 0; c < part; c += vecBytes) {
      // Byte blk * part + c + p holds elements
      // blk * block + j * part + c + p at position j.
      SmallVector<SmallVector<Value>> codes;
      for (Value col : cols) {
        Value bytes = vector::LoadOp::create(
            kb.b, kb.loc, bytesType, kb.w,
            ValueRange{col, kb.idx(blk * part + c)});
        codes.push_back(kb.allCodes(bytes, codeOffset));
      }
      for (size_t i = 0; i < rows.size(); ++i) {
        SmallVector<Value> x;
        for (int64_t j = 0; j < per; ++j)
          x.push_back(vector::LoadOp::create(
              kb.b, kb.loc, bytesType, kb.a,
              ValueRange{rows[i], kb.idx(blk * kb.block + j * part + c)}));
        for (size_t n = 0; n < cols.size(); ++n) {
          SmallVector<std::pair<Value, Value>> pairs;
          for (int64_t j = 0; j < per; ++j)
            pairs.push_back({codes[n][j], x[j]});
          acc[i][n] = accumulate(kb, acc[i][n], pairs);
        }
      }
    }
  SmallVector<SmallVector<Value>> dots(rows.size());
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t n = 0; n < cols.size(); ++n)
      dots[i].push_back(vector::ReductionOp::create(
          kb.b, kb.loc, vector::CombiningKind::ADD, acc[i][n]));
  return dots;
}

void mlir::tern::kernels::defineTiledKernel(func::FuncOp fn,
                                            const I2Family &family) {
  OpBuilder b(fn.getContext());
  auto aType = cast<MemRefType>(fn.getArgumentTypes()[0]);
  auto tile = fn->getAttrOfType<DenseI64ArrayAttr>(kTileAttr);
  auto block = fn->getAttrOfType<IntegerAttr>(kBlockAttr);
  fn.setPrivate();
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  I2KernelBuilder kb{b,
                     fn.getLoc(),
                     entry->getArgument(0),
                     entry->getArgument(1),
                     aType.getDimSize(0),
                     aType.getDimSize(1),
                     block.getInt()};
  if (auto kind = fn->getAttrOfType<StringAttr>(kKernelAttr))
    if (kind.getValue().starts_with("base3v_"))
      kb.packing = PackingKind::base3v;
  const int64_t tileM = std::min(tile[0], kb.m), tileN = tile[1];
  Value out = entry->getArgument(2), begin = entry->getArgument(3),
        end = entry->getArgument(4);

  // One tile: rows `rows`, columns `cols`.
  auto emitTile = [&](ArrayRef<Value> rows, ArrayRef<Value> sums,
                      ArrayRef<Value> cols) {
    SmallVector<SmallVector<Value>> dots = family.dots(kb, rows, cols);
    for (size_t i = 0; i < rows.size(); ++i)
      for (size_t j = 0; j < cols.size(); ++j) {
        Value v = dots[i][j];
        if (!sums.empty())
          v = arith::SubIOp::create(b, kb.loc, v, sums[i]);
        memref::StoreOp::create(b, kb.loc, v, out, ValueRange{rows[i], cols[j]});
      }
  };
  // Columns [begin, end) for the rows starting at `row0`, `nRows` of them.
  auto emitRows = [&](Value row0, int64_t nRows) {
    SmallVector<Value> rows, sums;
    for (int64_t i = 0; i < nRows; ++i) {
      rows.push_back(i ? Value(arith::AddIOp::create(b, kb.loc, row0,
                                                     kb.idx(i)))
                       : row0);
      if (family.rowSum)
        sums.push_back(family.rowSum(kb, rows.back()));
    }
    auto columnLoop = [&](Value lo, Value hi, int64_t step) {
      auto loop = scf::ForOp::create(b, kb.loc, lo, hi, kb.idx(step));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      SmallVector<Value> cols = {loop.getInductionVar()};
      for (int64_t j = 1; j < step; ++j)
        cols.push_back(
            arith::AddIOp::create(b, kb.loc, cols[0], kb.idx(j)));
      emitTile(rows, sums, cols);
    };
    if (tileN == 1) {
      columnLoop(begin, end, 1);
      return;
    }
    // Whole tiles of tile_n columns, then the rest one by one (the range
    // is the caller's share, known only at run time).
    Value span = arith::SubIOp::create(b, kb.loc, end, begin);
    Value whole = arith::MulIOp::create(
        b, kb.loc,
        arith::DivUIOp::create(b, kb.loc, span, kb.idx(tileN)),
        kb.idx(tileN));
    Value mid = arith::AddIOp::create(b, kb.loc, begin, whole);
    columnLoop(begin, mid, tileN);
    columnLoop(mid, end, 1);
  };

  const int64_t mainRows = kb.m / tileM * tileM;
  if (mainRows == tileM) {
    emitRows(kb.idx(0), tileM);
  } else {
    auto rowLoop =
        scf::ForOp::create(b, kb.loc, kb.idx(0), kb.idx(mainRows),
                           kb.idx(tileM));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(rowLoop.getBody());
    emitRows(rowLoop.getInductionVar(), tileM);
  }
  if (kb.m > mainRows)
    emitRows(kb.idx(mainRows), kb.m - mainRows);
  func::ReturnOp::create(b, kb.loc);
}

namespace {

/// Declares (once per shape, layout and config) the kernel
/// out[M, N] = a[M, K] x t[N, K]^T; its body is generated after
/// bufferization (tern-generate-kernels).
func::FuncOp getOrDeclareKernel(ModuleOp module, const KernelConfig &c,
                                LayoutAttr layout, int64_t m, int64_t n,
                                int64_t k) {
  std::string tag = c.family;
  std::replace(tag.begin(), tag.end(), '-', '_');
  const std::string packing = stringifyPackingKind(layout.getKind()).str();
  const int64_t block = layout.getBlock();
  const std::string name =
      "tern_kernel_" + packing + "_" + tag + "_" + std::to_string(m) + "x" +
      std::to_string(n) + "x" + std::to_string(k) + "_b" +
      std::to_string(block) + "_t" + std::to_string(c.tileM) + "x" +
      std::to_string(c.tileN);
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  OpBuilder b(module.getContext());
  Type i8 = b.getI8Type(), i32 = b.getI32Type();
  auto aType = MemRefType::get({m, k}, i8);
  auto wType = MemRefType::get({n, layout.getRowBytes(k)}, i8);
  auto oType = MemRefType::get({m, n}, i32);
  b.setInsertionPointToEnd(module.getBody());
  auto fn = func::FuncOp::create(
      b, module.getLoc(), name,
      b.getFunctionType({aType, wType, oType, b.getIndexType(),
                         b.getIndexType()},
                        {}));
  fn.setPrivate();
  fn->setAttr(kKernelAttr, b.getStringAttr(packing + "_" + c.family));
  fn->setAttr(kBlockAttr, b.getI64IntegerAttr(block));
  fn->setAttr(kTileAttr, b.getDenseI64ArrayAttr({c.tileM, c.tileN}));
  return fn;
}

struct ConvertTernToKernelsPass
    : mlir::tern::impl::ConvertTernToKernelsBase<ConvertTernToKernelsPass> {
  using ConvertTernToKernelsBase::ConvertTernToKernelsBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!isKernelFamily(family)) {
      module.emitError() << "convert-tern-to-kernels: unknown kernel family '"
                         << family << "' (expected " << kernelFamilies()
                         << ")";
      return signalPassFailure();
    }
    KernelConfig defaults{family, tileM, tileN};
    if (failed(parseConfig(module, configAttr(&getContext(), defaults),
                           defaults)))
      return signalPassFailure();
    SmallVector<MatmulOp> matmuls;
    module.walk([&](MatmulOp op) { matmuls.push_back(op); });
    for (MatmulOp op : matmuls) {
      auto explicitConfig = op->getAttrOfType<DictionaryAttr>(kConfigAttr);
      if (!explicitConfig && op->hasAttr(kConfigAttr)) {
        op.emitError() << kConfigAttr << " must be a dictionary";
        return signalPassFailure();
      }
      FailureOr<KernelConfig> config =
          parseConfig(op, explicitConfig, defaults);
      if (failed(config))
        return signalPassFailure();
      auto weight = op.getWeights().getDefiningOp<WeightOp>();
      WeightsType wt = op.getWeights().getType();
      auto lhsType = cast<RankedTensorType>(op.getLhs().getType());
      const bool covered =
          weight && wt.isPacked() &&
          supportsLayout(config->family, wt.getLayout().getKind(),
                         wt.getLayout().getBlock(), wt.getCols()) &&
          lhsType.hasStaticShape() &&
          weight.getBlob().getType().hasStaticShape();
      if (!covered) {
        // A config someone chose must not be ignored silently.
        if (explicitConfig) {
          op.emitError() << "the " << config->family
                         << " kernels cannot read these weights ("
                         << wt << "; they need a blob tern.weight in an i2, "
                         << "base3v or lut2i layout the family supports)";
          return signalPassFailure();
        }
        continue;
      }
      const int64_t m = lhsType.getDimSize(0), n = wt.getRows(),
                    k = wt.getCols();
      func::FuncOp kernel =
          getOrDeclareKernel(module, *config, wt.getLayout(), m, n, k);
      OpBuilder b(op);
      Location loc = op.getLoc();
      Value offset = arith::ConstantIndexOp::create(
          b, loc, static_cast<int64_t>(weight.getOffset()));
      Value view = memref::ViewOp::create(
          b, loc, MemRefType::get({n, wt.getLayout().getRowBytes(k)},
                                  b.getI8Type()),
          weight.getBlob(),
          offset, ValueRange{});
      Value lhs = bufferization::ToBufferOp::create(
          b, loc, MemRefType::get({m, k}, b.getI8Type()), op.getLhs(),
          b.getUnitAttr());
      auto outType = MemRefType::get({m, n}, b.getI32Type());
      Value out = memref::AllocOp::create(b, loc, outType);
      auto call = func::CallOp::create(
          b, loc, kernel,
          ValueRange{lhs, view, out, arith::ConstantIndexOp::create(b, loc, 0),
                     arith::ConstantIndexOp::create(
                         b, loc, rangeUnits(wt.getLayout().getKind(), n))});
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

struct GenerateTernKernelsPass
    : mlir::tern::impl::GenerateTernKernelsBase<GenerateTernKernelsPass> {
  void runOnOperation() override {
    WalkResult r = getOperation().walk([&](func::FuncOp fn) {
      auto kind = fn->getAttrOfType<StringAttr>(kKernelAttr);
      if (!fn.isExternal() || !kind)
        return WalkResult::advance();
      auto block = fn->getAttrOfType<IntegerAttr>(kBlockAttr);
      auto tile = fn->getAttrOfType<DenseI64ArrayAttr>(kTileAttr);
      auto aType = fn.getNumArguments() == 5
                       ? dyn_cast<MemRefType>(fn.getArgumentTypes()[0])
                       : MemRefType();
      auto [packingName, family] = kind.getValue().split('_');
      std::optional<PackingKind> packing = symbolizePackingKind(packingName);
      if (!packing ||
          (*packing != PackingKind::i2 && *packing != PackingKind::base3v &&
           *packing != PackingKind::lut2i) ||
          !isKernelFamily(family)) {
        fn.emitError() << "unknown kernel kind '" << kind.getValue() << "'";
        return WalkResult::interrupt();
      }
      if (!block || !tile || tile.size() != 2 || tile[0] < 1 || tile[1] < 1 ||
          tile[0] > kMaxTile || tile[1] > kMaxTile || !aType ||
          !aType.hasStaticShape() ||
          !supportsLayout(family, *packing, block.getInt(),
                          aType.getDimSize(1))) {
        fn.emitError() << "kernel declaration needs " << kBlockAttr
                       << " (a block the family reads), " << kTileAttr
                       << " (array<i64: tile_m, tile_n> in [1, " << kMaxTile
                       << "]) and the signature of convert-tern-to-kernels";
        return WalkResult::interrupt();
      }
      if (family == "lut")
        defineLutKernel(fn, 32, "llvm.x86.avx2.pshuf.b");
      else if (family == "lut512")
        defineLutKernel(fn, 64, "llvm.x86.avx512.pshuf.b.512");
      else if (family == "neon-lut")
        defineLutKernel(fn, 16, "llvm.aarch64.neon.tbl1.v16i8");
      else if (family == "avx2")
        defineAvx2Kernel(fn);
      else if (family == "vnni")
        defineVnniKernel(fn);
      else if (family == "vnni512")
        defineVnni512Kernel(fn);
      else if (family == "neon-dotprod")
        defineNeonDotprodKernel(fn);
      else
        defineSveKernel(fn);
      return WalkResult::advance();
    });
    if (r.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
