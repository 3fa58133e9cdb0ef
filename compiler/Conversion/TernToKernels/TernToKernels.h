//===- TernToKernels.h - Generated ternary matmul kernels -------*- C++ -*-===//
//
// convert-tern-to-kernels rewrites tern.matmul on blob weights into calls
// to kernels declared per shape, layout, family and tiling;
// tern-generate-kernels gives them bodies after bufferization. The tiled
// skeleton (row and column tiles, the remainder tiles, the stores) is
// here; each family supplies how one tile's dot products are computed:
// X86Kernels.cpp (avx2, vnni, vnni512), ArmKernels.cpp (neon-dotprod, sve).
// The lookup-table families (lut, lut512, neon-lut) have their own
// skeleton in LutKernels.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_CONVERSION_TERNTOKERNELS_TERNTOKERNELS_H
#define TERN_COMPILER_CONVERSION_TERNTOKERNELS_TERNTOKERNELS_H

#include "dialects/Tern/IR/TernOps.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

#include <functional>
#include <string>

namespace mlir::tern {

#define GEN_PASS_DECL_CONVERTTERNTOKERNELS
#define GEN_PASS_DECL_GENERATETERNKERNELS
#include "compiler/Conversion/Passes.h.inc"

namespace kernels {
/// On a kernel declaration: "<packing>_<family>" (i2_avx2, base3v_vnni512).
constexpr const char *kKernelAttr = "tern.kernel";
/// On a kernel declaration: the block of the weights it reads (i64).
constexpr const char *kBlockAttr = "tern.block";
/// On a kernel declaration: array<i64: tile_m, tile_n>.
constexpr const char *kTileAttr = "tern.tile";
/// On a tern.matmul or tern.bitlinear: the kernel it must use,
/// {family = "vnni", tile_m = 1 : i64, tile_n = 4 : i64} (each optional).
constexpr const char *kConfigAttr = "tern.kernel_config";

/// How one matmul is computed by a generated kernel.
struct KernelConfig {
  std::string family; ///< avx2, vnni, vnni512, neon-dotprod, sve, lut, ...
  int64_t tileM = 1;  ///< activation rows per tile (weights decoded once)
  int64_t tileN = 1;  ///< output columns per tile (activations loaded once)
};

/// The largest tile sides accepted (tile_m * tile_n accumulators live in
/// registers; beyond this they only spill).
constexpr int64_t kMaxTile = 8;

/// The kernel families: the multiply-add ones "avx2", "vnni", "vnni512",
/// "neon-dotprod", "sve", and the lookup-table ones "lut" (AVX2 vpshufb),
/// "lut512" (AVX-512BW vpshufb), "neon-lut" (NEON tbl).
bool isKernelFamily(llvm::StringRef family);
bool isLutFamily(llvm::StringRef family);
const char *kernelFamilies(); ///< "avx2, vnni, ..., lut512 or neon-lut"

/// Whether `family` reads weights in `#tern.layout<i2, block = block>` for
/// a reduction of length `k`: avx2/vnni need block % 128 == 0 (32-byte
/// steps per bit position), vnni512 block % 256 == 0 (64-byte steps),
/// neon-dotprod block % 64 == 0, sve block == k
/// (one block per row: each bit position's activations are contiguous, so
/// any vector length works). Always k % block == 0.
bool supportsLayout(llvm::StringRef family, int64_t block, int64_t k);
/// The same for any packing: i2 as above; base3v (5 weights per byte) with
/// block % (5 x step bytes) == 0: avx2/vnni 160, vnni512 320,
/// neon-dotprod 80; sve reads i2 only. lut2i (rows interleaved by 32,
/// which the weights type guarantees) is read by the lut families only:
/// lut needs k % 4 == 0, lut512 k % 8 == 0, neon-lut k % 2 == 0 (whole
/// vectors of pairs). Other packings: none.
bool supportsLayout(llvm::StringRef family, PackingKind packing,
                    int64_t block, int64_t k);

/// The config in `attr` (a kConfigAttr dictionary) over `defaults`; fails
/// with a diagnostic on `op` for unknown keys, families or tile sizes.
FailureOr<KernelConfig> parseConfig(Operation *op, DictionaryAttr attr,
                                    const KernelConfig &defaults);
DictionaryAttr configAttr(MLIRContext *ctx, const KernelConfig &config);

/// A constant vector of `t` with every element `v`.
Value splatConstant(OpBuilder &b, Location loc, VectorType t, int64_t v);
/// A call of the LLVM intrinsic `name` returning `result`.
Value callIntrinsic(OpBuilder &b, Location loc, Type result,
                    llvm::StringRef name, ValueRange args);

/// What a family's tile sees while a kernel body is generated.
struct I2KernelBuilder {
  OpBuilder &b;
  Location loc;
  Value a, w;       ///< memref<MxKxi8> activations, memref<NxRowBytesxi8> weights
  int64_t m, k;     ///< rows, reduction length
  int64_t block;    ///< block of the weights
  PackingKind packing = PackingKind::i2;
  Value idx(int64_t v);
  /// A constant vector of `t` with every element `v`.
  Value splat(VectorType t, int64_t v);
  /// A call of the LLVM intrinsic `name` returning `result`.
  Value intrinsic(Type result, llvm::StringRef name, ValueRange args);
  /// The 2-bit codes at bit position `j` (shift 6 - 2j) of `bytes`, minus
  /// `offset` (0: codes 0..2; 1: the ternary values -1..1).
  Value codes(Value bytes, int j, int64_t offset);
  /// Weights per byte of the packing (4 for i2, 5 for base3v).
  int64_t perByte() const { return packing == PackingKind::base3v ? 5 : 4; }
  /// All perByte() code vectors of `bytes` (position j: elements
  /// j * block / perByte() + p of the block), minus `offset`.
  SmallVector<Value> allCodes(Value bytes, int64_t offset);
};

/// How a family computes a tile.
struct I2Family {
  /// dots[i][j] = sum_k a[rows[i], k] * c(w[cols[j]], k) in i32, where c
  /// is the code the family multiplies by (t + 1 or t).
  std::function<SmallVector<SmallVector<Value>>(
      I2KernelBuilder &, ArrayRef<Value> rows, ArrayRef<Value> cols)>
      dots;
  /// For families that multiply by t + 1: sum_k a[row, k] (i32), which is
  /// subtracted from each dot product. Null when c is t itself.
  std::function<Value(I2KernelBuilder &, Value row)> rowSum;
};

/// Generates the body of a declaration `(memref<MxKxi8>, memref<Nx(K/4)xi8>,
/// memref<MxNxi32>, index begin, index end)` with attributes kBlockAttr and
/// kTileAttr:
///   for each tile of tile_m rows (then the remaining rows as one tile):
///     for each tile of tile_n columns in [begin, end) (then single columns):
///       out[rows, cols] = family.dots(rows, cols) - rowSum(rows)
void defineTiledKernel(func::FuncOp fn, const I2Family &family);

/// Fixed-width families (X86Kernels.cpp, ArmKernels.cpp): the dots of a tile
/// over fully unrolled steps of `vecBytes` weight bytes; per step and bit
/// position, `accumulate(acc, codes, x)` for each (row, column) pair.
using AccumulateFn = std::function<Value(
    I2KernelBuilder &, Value acc, ArrayRef<std::pair<Value, Value>> pairs)>;
SmallVector<SmallVector<Value>>
fixedWidthDots(I2KernelBuilder &kb, ArrayRef<Value> rows, ArrayRef<Value> cols,
               int64_t vecBytes, VectorType accType, int64_t codeOffset,
               const AccumulateFn &accumulate);

/// Units of the kernel's [begin, end) range for n output columns: columns,
/// or groups of 32 columns for lut2i.
int64_t rangeUnits(PackingKind packing, int64_t n);

/// The family bodies.
/// A lookup-table kernel over `vecBytes`-byte vectors whose byte shuffle is
/// the LLVM intrinsic `shuffle` (table, indices), per 16-byte lane.
void defineLutKernel(func::FuncOp fn, int64_t vecBytes,
                     llvm::StringRef shuffle);
void defineAvx2Kernel(func::FuncOp fn);
void defineVnniKernel(func::FuncOp fn);
void defineVnni512Kernel(func::FuncOp fn);
void defineNeonDotprodKernel(func::FuncOp fn);
void defineSveKernel(func::FuncOp fn);
} // namespace kernels

} // namespace mlir::tern

#endif // TERN_COMPILER_CONVERSION_TERNTOKERNELS_TERNTOKERNELS_H
