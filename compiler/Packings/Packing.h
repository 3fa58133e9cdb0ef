//===- Packing.h - Packed layouts of ternary weight matrices ----*- C++ -*-===//
//
// A ternary weight matrix [N, K] (values -1, 0, +1) is stored row by row;
// each row of K weights is cut into blocks of `block` consecutive weights,
// and each block is packed on its own into a fixed number of bytes (some
// packings also interleave groups of rows). A *packing* says how; a
// *layout* is a packing with a block: `#tern.layout<i2, block = 128>` in the
// IR, `Layout{&i2, 128}` here.
//
// Each packing is one row of the registry: a `Packing` defined in its own
// file (Kinds/I2.cpp, Kinds/Base3V.cpp, ...) and listed once in
// Packings.def. The row holds everything the compiler needs about it:
//   - its block rule and sizes (the dialect's verifier uses them);
//   - the C++ packer and unpacker (the compiler repacks model weights into
//     the executable's weights blob with them; tests use them as the
//     definition);
//   - the reference lowering of tern.pack / tern.unpack (one packed byte,
//     or one weight, computed from the definition in IR);
//   - for packings in "vector order" (byte p of a block holds elements
//     p + j * B/P, j < P), how a SIMD kernel decodes a vector of bytes into
//     P vectors of codes: every fixed-width kernel family then reads it.
//
// docs/adding-a-lowering.md walks through adding a packing.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_PACKINGS_PACKING_H
#define TERN_COMPILER_PACKINGS_PACKING_H

#include "mlir/IR/Builders.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace mlir::tern {

/// Index and i32 arithmetic for the reference lowerings of the packings
/// (inside linalg bodies; the values are index or i32 scalars).
struct IndexArith {
  OpBuilder &b;
  Location loc;

  Value idx(int64_t v);
  Value i32(int64_t v);
  Value add(Value x, Value y);
  Value sub(Value x, Value y);
  Value mul(Value x, Value y);
  Value div(Value x, Value y); ///< unsigned
  Value rem(Value x, Value y); ///< unsigned
  Value shl(Value x, Value y);
  Value shr(Value x, Value y); ///< logical
  Value bitOr(Value x, Value y);
  Value bitAnd(Value x, Value y);
  Value minu(Value x, Value y);
  Value ult(Value x, Value y);
  Value eq(Value x, Value y);
  Value select(Value c, Value x, Value y);
  Value indexToI32(Value x);
  /// Reads an i8 element of a 2-D tensor, widened to i32 (signed: weights).
  Value weight(Value tensor, Value row, Value col);
  /// Reads an i8 element of a 2-D tensor, widened to i32 (unsigned: bytes).
  Value byte(Value tensor, Value row, Value col);
  /// 3^e for an index e in [0, 4] (a select chain).
  Value pow3(Value e);
};

struct Layout;

struct Packing {
  /// The name in the IR (`#tern.layout<NAME, block = B>`), in tuning files
  /// and on the command line.
  llvm::StringRef name;
  /// One line for help texts and docs.
  llvm::StringRef summary;
  /// The block must be a positive multiple of this.
  int64_t blockMultiple = 1;
  /// Rows packed together (their bytes interleaved); N must be a multiple.
  int64_t rowGroup = 1;
  /// Bytes of one packed block of `block` weights.
  int64_t (*blockBytes)(int64_t block) = nullptr;
  /// Packs `rowGroup` rows of k weights (t, row stride k; values already
  /// checked to be ternary) into rowGroup * rowBytes bytes at `out`.
  void (*pack)(int64_t block, const int8_t *t, int64_t k, uint8_t *out) =
      nullptr;
  /// The inverse; false on a byte the packer never writes.
  bool (*unpack)(int64_t block, const uint8_t *in, int64_t k,
                 int8_t *t) = nullptr;
  /// Reference lowering: packed byte [row, col] (i32) of the [N, rowBytes]
  /// tensor, from `unpacked` (tensor<NxKxi8>).
  Value (*buildPackedByte)(IndexArith &a, Value unpacked, Value row,
                           Value col, const Layout &layout,
                           int64_t k) = nullptr;
  /// Reference lowering: weight [row, col] (i32, -1..1) from `packed`
  /// (tensor<N x rowBytes x i8>).
  Value (*buildWeight)(IndexArith &a, Value packed, Value row, Value col,
                       const Layout &layout, int64_t k) = nullptr;
  /// Vector order: P weights per byte, byte p of a block holding elements
  /// p + j * (block / P) for j < P. 0: the packing is not in vector order
  /// (only kernels written for it read it).
  int64_t vectorPositions = 0;
  /// Vector order: the P code vectors (codes 0..2, minus `offset`) of a
  /// vector of packed bytes, in the bytes' element type. Pure integer
  /// vector arithmetic, so any vector shape works (fixed or scalable).
  llvm::SmallVector<Value> (*vectorCodes)(OpBuilder &b, Location loc,
                                          Value bytes,
                                          int64_t offset) = nullptr;
  /// Codes in bit fields: position j's code (0..2, no offset) is the
  /// 8 / P bits of its byte from bit fieldShift(j) on (vector order, or
  /// i2x16's positions, 2 bits each), so the byte masked in place is the
  /// code times 2^fieldShift(j) (kernels that multiply unsigned bytes
  /// exactly skip the shift; fixedWidthDots, LaneSkeleton.cpp). Null when
  /// the codes are not bit fields.
  int64_t (*fieldShift)(int64_t position) = nullptr;
  /// Blocks `tern tune` tries for a row of K weights (may include K; ones
  /// that do not fit are dropped). Empty: never tuned.
  llvm::SmallVector<int64_t> (*tuneBlocks)(int64_t k) = nullptr;
};

/// A packing as an attribute parameter (`#tern.layout`, `#tern.kernel`).
using PackingPtr = const Packing *;

/// A packing with a block: how one weight matrix is stored.
struct Layout {
  const Packing *packing = nullptr;
  int64_t block = 0;

  explicit operator bool() const { return packing != nullptr; }
  bool operator==(const Layout &o) const {
    return packing == o.packing && block == o.block;
  }
  bool operator!=(const Layout &o) const { return !(*this == o); }
  /// "i2 b128"
  std::string str() const;
  /// Empty when the layout can pack rows of `k` weights, else why not.
  std::string check(int64_t k) const;
  /// Empty when it can pack an [n, k] matrix (check(k), and n a multiple
  /// of the row group), else why not.
  std::string check(int64_t n, int64_t k) const;
  int64_t blockBytes() const { return packing->blockBytes(block); }
  /// Bytes of one packed row of k weights (k a multiple of the block).
  int64_t rowBytes(int64_t k) const { return k / block * blockBytes(); }
  int64_t rowGroup() const { return packing->rowGroup; }
  /// Packs t [n, k] into out [n, rowBytes(k)]; false on a value outside
  /// {-1, 0, 1} or a shape the layout does not fit.
  bool pack(const int8_t *t, int64_t n, int64_t k, uint8_t *out) const;
  /// Unpacks in [n, rowBytes(k)] into t [n, k]; false on a byte the packer
  /// never writes or a shape the layout does not fit.
  bool unpack(const uint8_t *in, int64_t n, int64_t k, int8_t *t) const;
};

/// Every registered packing, in Packings.def's order.
llvm::ArrayRef<const Packing *> packings();
/// The packing of that name, or null.
const Packing *findPacking(llvm::StringRef name);
/// "i2, base3v, ..." for messages and help texts.
std::string packingNames();

/// The registry's rows (one per line of Packings.def).
#define TERN_PACKING(ID) const Packing &ID##Packing();
#include "compiler/Packings/Packings.def"

} // namespace mlir::tern

#endif // TERN_COMPILER_PACKINGS_PACKING_H
