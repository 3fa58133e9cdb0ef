//===- Avx2.cpp - The avx2 kernel family ----------------------------------===//
//
// Per 32-byte step, vpmaddubsw(codes_j, a[.. 32 ..]) for each of the
// packing's positions j (the codes t + 1, unsigned 0..2), summed in i16
// (|.| <= 5 x 2 x 2 x 127 < 2^15), widened by vpmaddwd(., 1) into 8 i32
// lanes; the total minus the activation row sum. Exact.
//
//===----------------------------------------------------------------------===//

#include "compiler/Kernels/Skeleton.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::kernels;

namespace {
void define(func::FuncOp fn, const KernelChoice &choice) {
  auto accumulate = [](TileBuilder &tb, Value acc,
                       ArrayRef<std::pair<Value, Value>> pairs) {
    auto v16i16 = VectorType::get({16}, tb.b.getI16Type());
    auto v8i32 = VectorType::get({8}, tb.b.getI32Type());
    Value p16;
    for (auto [codes, x] : pairs) {
      Value p = tb.intrinsic(v16i16, "llvm.x86.avx2.pmadd.ub.sw", {codes, x});
      p16 = p16 ? Value(arith::AddIOp::create(tb.b, tb.loc, p16, p)) : p;
    }
    Value wide = tb.intrinsic(v8i32, "llvm.x86.avx2.pmadd.wd",
                              {p16, tb.splat(v16i16, 1)});
    return Value(arith::AddIOp::create(tb.b, tb.loc, acc, wide));
  };
  // Prefill tiles loop over the reduction (FixedWidthOptions::rollTiles).
  FixedWidthOptions options;
  options.rollTiles = true;
  defineTiledKernel(fn, choice,
                    offsetCodesMultiplyAdd(32, accumulate, options));
}
} // namespace

const KernelFamily &mlir::tern::avx2Family() {
  static const KernelFamily f = [] {
    KernelFamily f;
    f.name = "avx2";
    f.summary = "AVX2 vpmaddubsw + vpmaddwd, 32-byte steps";
    f.arch = llvm::Triple::x86_64;
    f.features = {{"avx2"}};
    // Decode streams the weights: avx2's i16 partial sums beat 256-bit
    // vpdpbusd there (tern tune on a Zen 5, docs/performance.md); prefill
    // is compute-bound and takes vnni first.
    f.decodeRank = 1;
    f.prefillRank = 2;
    f.reads = [](const Layout &l, int64_t k) {
      return readsVectorOrder(l, k, 32);
    };
    f.preferredBlock = [](int64_t) -> int64_t { return 128; };
    f.defaultTile = [](int64_t m, int64_t k, int64_t) {
      return m == 1 ? Tile{1, 1} : Tile{prefillTileRows(m, k), 1};
    };
    // Wider decode tiles timed faster alone but decoded slower in the
    // executable (docs/performance.md): tern tune keeps one column.
    f.decodeMaxTileN = 1;
    // Each column's weights are read in order: decode kernels prefetch
    // the column the target's distance ahead (#tern.kernel's prefetch).
    f.prefetches = true;
    f.define = define;
    f.quadBytes = 32;
    // vpmaddubsw's pair sums stay within i16 for u <= 127 (2 x 127 x 128),
    // vpmaddwd(., 1) adds the pairs into i32 lanes.
    f.quadDot = [](OpBuilder &b, Location loc, Value acc, Value u, Value s) {
      auto v16i16 = VectorType::get({16}, b.getI16Type());
      Value p = callIntrinsic(b, loc, v16i16, "llvm.x86.avx2.pmadd.ub.sw",
                              {u, s});
      Value wide = callIntrinsic(b, loc, acc.getType(),
                                 "llvm.x86.avx2.pmadd.wd",
                                 {p, splatConstant(b, loc, v16i16, 1)});
      return Value(arith::AddIOp::create(b, loc, acc, wide));
    };
    return f;
  }();
  return f;
}
