//===- NeonDotprod.cpp - The neon-dotprod kernel family -------------------===//
//
// Per 16-byte step, sdot of the signed ternary values
// (code - 1 = -1..1) with 16 activations each, into 4 i32 lanes: no
// correction term. Exact (every partial sum fits in i32).
//
//===----------------------------------------------------------------------===//

#include "compiler/Kernels/Skeleton.h"

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::kernels;

namespace {
void define(func::FuncOp fn, const KernelChoice &choice) {
  auto v4i32 = VectorType::get({4}, IntegerType::get(fn.getContext(), 32));
  defineTiledKernel(
      fn, choice,
      signedCodesMultiplyAdd(16, v4i32, [v4i32](TileBuilder &tb, Value acc,
                                                ArrayRef<std::pair<Value, Value>>
                                                    pairs) {
        for (auto [t, x] : pairs)
          acc = tb.intrinsic(v4i32, "llvm.aarch64.neon.sdot.v4i32.v16i8",
                             {acc, t, x});
        return acc;
      }));
}
} // namespace

const KernelFamily &mlir::tern::neonDotprodFamily() {
  static const KernelFamily f = [] {
    KernelFamily f;
    f.name = "neon-dotprod";
    f.summary = "NEON sdot (the dot-product extension), 16-byte steps";
    f.arch = llvm::Triple::aarch64;
    f.features = {{"dotprod"}};
    f.decodeRank = 4;
    f.prefillRank = 4;
    f.reads = [](const Layout &l, int64_t k) {
      return readsVectorOrder(l, k, 16);
    };
    f.preferredBlock = [](int64_t) -> int64_t { return 128; };
    f.defaultTile = [](int64_t m, int64_t k, int64_t) {
      return m == 1 ? Tile{1, 4} : Tile{prefillTileRows(m, k), 1};
    };
    // Each column's weights are read in order: decode kernels prefetch
    // the column the target's distance ahead (#tern.kernel's prefetch).
    f.prefetches = true;
    f.define = define;
    f.quadBytes = 16;
    // u <= 127 is also a signed byte: sdot multiplies it as it is.
    f.quadDot = [](OpBuilder &b, Location loc, Value acc, Value u, Value s) {
      return callIntrinsic(b, loc, acc.getType(),
                           "llvm.aarch64.neon.sdot.v4i32.v16i8", {acc, u, s});
    };
    return f;
  }();
  return f;
}
