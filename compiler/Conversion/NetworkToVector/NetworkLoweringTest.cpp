//===- NetworkLoweringTest.cpp - Each network op against the reference ----===//
//
// Every op of convert-tern-network-to-vector, JIT-compiled through the
// reference pipeline, against the C++ reference forward pass's functions
// for the same step (runtime/reference, runtime/model/HeadFormat.h): the
// float results must be identical bit for bit, for shapes with remainders
// and positions past the start of the cache.
//
//===----------------------------------------------------------------------===//

#include "compiler/Kernels/KernelFamily.h"
#include "compiler/Pipelines/JitForTests.h"
#include "runtime/ternary/Ternary.h"
#include "runtime/model/Half.h"
#include "runtime/model/HeadFormat.h"
#include "runtime/reference/ReferenceModel.h"

#include "llvm/Support/FormatVariadic.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

using namespace mlir::tern::testing;

namespace {

template <typename T> using Mem1D = StridedMemRefType<T, 1>;
template <typename T> using Mem3D = StridedMemRefType<T, 3>;

class NetworkLowering : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  }
  std::vector<float> random(size_t n, float scale, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, scale);
    std::vector<float> v(n);
    for (float &x : v)
      x = d(rng);
    return v;
  }
  void checkAttention(int64_t rows, int64_t heads, int64_t kvHeads,
                      int64_t hd, int64_t ctx, int64_t layer, int64_t pos,
                      int64_t stagedFrom = 0, int64_t valuePanel = 0,
                      bool rope = false);
};

/// The value cache [layers, ctx, kvHeads x hd] in the layout of value_panel
/// p (each kv head's lanes in panels of p, a panel's rows together), or
/// back from it (`back`).
std::vector<float> panelLayout(const std::vector<float> &c, int64_t layers,
                               int64_t ctx, int64_t kvHeads, int64_t hd,
                               int64_t p, bool back = false) {
  std::vector<float> out(c.size());
  const int64_t kv = kvHeads * hd;
  for (int64_t l = 0; l < layers; ++l)
    for (int64_t j = 0; j < ctx; ++j)
      for (int64_t h = 0; h < kvHeads; ++h)
        for (int64_t d = 0; d < hd; ++d) {
          const int64_t row = (l * ctx + j) * kv + h * hd + d;
          const int64_t panel =
              l * ctx * kv + ((h * (hd / p) + d / p) * ctx + j) * p + d % p;
          if (back)
            out[row] = c[panel];
          else
            out[panel] = c[row];
        }
  return out;
}

template <typename T> Mem1D<T> view1(std::vector<T> &d) {
  return viewN<T, 1>(d, {static_cast<int64_t>(d.size())});
}

bool sameBits(const std::vector<float> &a, const std::vector<float> &b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST_F(NetworkLowering, RmsNormMatchesReference) {
  const int64_t rows = 3, n = 72; // a multiple of 8, not of 16
  const std::string src = llvm::formatv(R"mlir(
    func.func @f(%x: memref<{0}x{1}xf32>, %w: memref<{1}xf32>, %out: memref<{0}x{1}xf32>)
        attributes {{llvm.emit_c_interface} {
      %xt = bufferization.to_tensor %x restrict : memref<{0}x{1}xf32> to tensor<{0}x{1}xf32>
      %wt = bufferization.to_tensor %w restrict : memref<{1}xf32> to tensor<{1}xf32>
      %y = tern.rms_norm %xt, %wt {{epsilon = 1.0e-05 : f32} : tensor<{0}x{1}xf32>, tensor<{1}xf32> -> tensor<{0}x{1}xf32>
      bufferization.materialize_in_destination %y in restrict writable %out : (tensor<{0}x{1}xf32>, memref<{0}x{1}xf32>) -> ()
      return
    })mlir", rows, n).str();
  Jit jit(src);
  ASSERT_EQ(jit.error, "");
  auto f = jit.get<void (*)(Mem2D<float> *, Mem1D<float> *, Mem2D<float> *)>("f");
  ASSERT_TRUE(f) << jit.error;
  std::vector<float> x = random(rows * n, 3.0f, 1), w = random(n, 1.0f, 2);
  x[5] = 1e-20f; // tiny and large values in one row
  x[n + 3] = 4e4f;
  std::vector<float> got(rows * n), want(rows * n);
  auto xm = view(x, rows, n), om = view(got, rows, n);
  auto wm = view1(w);
  f(&xm, &wm, &om);
  for (int64_t r = 0; r < rows; ++r)
    ::tern::rmsNormRow(&x[r * n], w.data(), n, 1e-5f, &want[r * n]);
  EXPECT_TRUE(sameBits(got, want));
}

/// tern.rms_norm_quantize written directly (`fused`) or formed by
/// tern-fuse-norm-quantize from rms_norm + quantize_act: the reference's
/// rmsNormRow then quantizeActivationRow, bit for bit. n = 136 runs the
/// 64-lane passes twice and the 8-lane ones once.
class NormQuantize : public NetworkLowering,
                     public ::testing::WithParamInterface<bool> {};

TEST_P(NormQuantize, MatchesReference) {
  const int64_t rows = 4, n = 136;
  const char *fused = R"mlir(
      %q, %s = tern.rms_norm_quantize %xt, %wt {{epsilon = 1.0e-05 : f32} : tensor<{0}x{1}xf32>, tensor<{1}xf32> -> tensor<{0}x{1}xi8>, tensor<{0}xf32>)mlir";
  const char *apart = R"mlir(
      %y = tern.rms_norm %xt, %wt {{epsilon = 1.0e-05 : f32} : tensor<{0}x{1}xf32>, tensor<{1}xf32> -> tensor<{0}x{1}xf32>
      %q, %s = tern.quantize_act %y : tensor<{0}x{1}xf32> -> tensor<{0}x{1}xi8>, tensor<{0}xf32>)mlir";
  const std::string src = llvm::formatv(
      (std::string(R"mlir(
    func.func @f(%x: memref<{0}x{1}xf32>, %w: memref<{1}xf32>, %qo: memref<{0}x{1}xi8>, %so: memref<{0}xf32>)
        attributes {{llvm.emit_c_interface} {
      %xt = bufferization.to_tensor %x restrict : memref<{0}x{1}xf32> to tensor<{0}x{1}xf32>
      %wt = bufferization.to_tensor %w restrict : memref<{1}xf32> to tensor<{1}xf32>)mlir") +
       (GetParam() ? fused : apart) + R"mlir(
      bufferization.materialize_in_destination %q in restrict writable %qo : (tensor<{0}x{1}xi8>, memref<{0}x{1}xi8>) -> ()
      bufferization.materialize_in_destination %s in restrict writable %so : (tensor<{0}xf32>, memref<{0}xf32>) -> ()
      return
    })mlir").c_str(), rows, n).str();
  Jit jit(src);
  ASSERT_EQ(jit.error, "");
  auto f = jit.get<void (*)(Mem2D<float> *, Mem1D<float> *, Mem2D<int8_t> *,
                            Mem1D<float> *)>("f");
  ASSERT_TRUE(f) << jit.error;
  std::vector<float> x = random(rows * n, 3.0f, 3), w = random(n, 1.0f, 4);
  x[7] = 1e-20f;    // tiny and large values in one row
  x[n + 130] = 4e4f; // the largest value in the 8-lane part
  x[2 * n + 20] = -5e3f;
  std::fill(x.begin() + 3 * n, x.end(), 0.0f); // absmax at its floor
  std::vector<int8_t> got(rows * n), want(rows * n);
  std::vector<float> gotS(rows), wantS(rows), y(n);
  auto xm = view(x, rows, n);
  auto qm = viewN<int8_t, 2>(got, {rows, n});
  auto wm = view1(w), sm = view1(gotS);
  f(&xm, &wm, &qm, &sm);
  for (int64_t r = 0; r < rows; ++r) {
    ::tern::rmsNormRow(&x[r * n], w.data(), n, 1e-5f, y.data());
    wantS[r] = ::tern::quantizeActivationRow(y.data(), n, &want[r * n]);
  }
  EXPECT_EQ(got, want);
  EXPECT_TRUE(sameBits(gotS, wantS));
}

INSTANTIATE_TEST_SUITE_P(FusedOrApart, NormQuantize, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool> &info) {
                           return info.param ? "Fused" : "FormedByThePass";
                         });

TEST_F(NetworkLowering, RopeMatchesReference) {
  const int64_t rows = 3, heads = 2, hd = 32, pos = 5;
  const float theta = 500000.0f;
  const std::string src = llvm::formatv(R"mlir(
    func.func @f(%x: memref<{0}x{1}xf32>, %pos: index, %out: memref<{0}x{1}xf32>)
        attributes {{llvm.emit_c_interface} {
      %xt = bufferization.to_tensor %x restrict : memref<{0}x{1}xf32> to tensor<{0}x{1}xf32>
      %c, %s = tern.rope_table %pos {{theta = 5.0e+05 : f32} : tensor<{0}x{2}xf32>, tensor<{0}x{2}xf32>
      %y = tern.rope %xt, %c, %s : tensor<{0}x{1}xf32>, tensor<{0}x{2}xf32>, tensor<{0}x{2}xf32> -> tensor<{0}x{1}xf32>
      bufferization.materialize_in_destination %y in restrict writable %out : (tensor<{0}x{1}xf32>, memref<{0}x{1}xf32>) -> ()
      return
    })mlir", rows, heads * hd, hd / 2).str();
  Jit jit(src);
  ASSERT_EQ(jit.error, "");
  auto f = jit.get<void (*)(Mem2D<float> *, int64_t, Mem2D<float> *)>("f");
  ASSERT_TRUE(f) << jit.error;
  std::vector<float> x = random(rows * heads * hd, 1.0f, 3);
  std::vector<float> got(x.size()), want = x;
  auto xm = view(x, rows, heads * hd), om = view(got, rows, heads * hd);
  f(&xm, pos, &om);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t h = 0; h < heads; ++h)
      ::tern::applyRope(&want[(r * heads + h) * hd], hd, pos + r, theta);
  EXPECT_TRUE(sameBits(got, want));
}

/// tern.attention of `rows` new rows at positions pos .. pos + rows - 1 of
/// `layer` against runtime/ternary's attendHead, bit for bit. `rope`: the
/// op rotates the query and key itself (its rope tables, theta 500000),
/// against runtime/ternary's applyRope of each head before attendHead.
void NetworkLowering::checkAttention(int64_t rows, int64_t heads,
                                     int64_t kvHeads, int64_t hd, int64_t ctx,
                                     int64_t layer, int64_t pos,
                                     int64_t stagedFrom, int64_t valuePanel,
                                     bool rope) {
  const int64_t layers = 2;
  const int64_t qd = heads * hd, kv = kvHeads * hd;
  const float theta = 500000.0f;
  const std::string tables =
      rope ? llvm::formatv("%c, %s = tern.rope_table %pos {{theta = 5.0e+05 : "
                           "f32} : tensor<1x{0}xf32>, tensor<1x{0}xf32>",
                           hd / 2)
                 .str()
           : std::string();
  const std::string ropeOperands =
      rope ? std::string(" rope %c, %s") : std::string();
  const std::string ropeTypes =
      rope ? llvm::formatv(", tensor<1x{0}xf32>, tensor<1x{0}xf32>", hd / 2)
                 .str()
           : std::string();
  const std::string src = llvm::formatv(R"mlir(
    func.func @f(%q: memref<{0}x{1}xf32>, %k: memref<{0}x{2}xf32>, %v: memref<{0}x{2}xf32>,
                 %kc: memref<{3}x{4}x{2}xf32>, %vc: memref<{3}x{4}x{2}xf32>, %pos: index,
                 %out: memref<{0}x{1}xf32>) attributes {{llvm.emit_c_interface} {
      %qt = bufferization.to_tensor %q restrict : memref<{0}x{1}xf32> to tensor<{0}x{1}xf32>
      %kt = bufferization.to_tensor %k restrict : memref<{0}x{2}xf32> to tensor<{0}x{2}xf32>
      %vt = bufferization.to_tensor %v restrict : memref<{0}x{2}xf32> to tensor<{0}x{2}xf32>
      {10}
      %a = tern.attention %qt, %kt, %vt into %kc, %vc at %pos{11}
             {{layer = {5} : i64, num_heads = {6} : i64, num_kv_heads = {7} : i64{8}{9}}
             : tensor<{0}x{1}xf32>, tensor<{0}x{2}xf32>, tensor<{0}x{2}xf32>,
               memref<{3}x{4}x{2}xf32>, memref<{3}x{4}x{2}xf32>{12} -> tensor<{0}x{1}xf32>
      bufferization.materialize_in_destination %a in restrict writable %out : (tensor<{0}x{1}xf32>, memref<{0}x{1}xf32>) -> ()
      return
    })mlir", rows, qd, kv, layers, ctx, layer, heads, kvHeads,
      stagedFrom ? llvm::formatv(", staged_from = {0} : i64", stagedFrom).str()
                 : std::string(),
      valuePanel ? llvm::formatv(", value_panel = {0} : i64", valuePanel).str()
                 : std::string(),
      tables, ropeOperands, ropeTypes).str();
  Jit jit(src);
  ASSERT_EQ(jit.error, "");
  auto f = jit.get<void (*)(Mem2D<float> *, Mem2D<float> *, Mem2D<float> *,
                            Mem3D<float> *, Mem3D<float> *, int64_t,
                            Mem2D<float> *)>("f");
  ASSERT_TRUE(f) << jit.error;
  std::vector<float> q = random(rows * qd, 1.0f, 4), k = random(rows * kv, 1.0f, 5),
                     v = random(rows * kv, 1.0f, 6);
  std::vector<float> kc = random(layers * ctx * kv, 1.0f, 7),
                     vc = random(layers * ctx * kv, 1.0f, 8);
  // The reference's rows: rotated where the op rotates them.
  std::vector<float> qRef = q, kNew = k;
  if (rope) {
    for (int64_t h = 0; h < heads; ++h)
      ::tern::applyRope(&qRef[h * hd], hd, pos, theta);
    for (int64_t h = 0; h < kvHeads; ++h)
      ::tern::applyRope(&kNew[h * hd], hd, pos, theta);
  }
  // The reference's caches: the new rows stored at pos .. pos + rows - 1.
  std::vector<float> kRef(kc.begin() + layer * ctx * kv,
                          kc.begin() + (layer + 1) * ctx * kv);
  std::vector<float> vRef(vc.begin() + layer * ctx * kv,
                          vc.begin() + (layer + 1) * ctx * kv);
  std::copy(kNew.begin(), kNew.end(), kRef.begin() + pos * kv);
  std::copy(v.begin(), v.end(), vRef.begin() + pos * kv);
  std::vector<float> want(rows * qd), scores(ctx);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t kvh = h / (heads / kvHeads);
      ::tern::attendHead(&qRef[r * qd + h * hd], &kRef[kvh * hd], &vRef[kvh * hd],
                         kv, pos + r + 1, hd,
                         1.0f / std::sqrt(static_cast<float>(hd)),
                         scores.data(), &want[r * qd + h * hd]);
    }
  std::vector<float> got(rows * qd);
  auto qm = view(q, rows, qd), km = view(k, rows, kv), vm = view(v, rows, kv),
       om = view(got, rows, qd);
  // The compiled code reads and writes the value cache in its layout.
  std::vector<float> vcHeld =
      valuePanel ? panelLayout(vc, layers, ctx, kvHeads, hd, valuePanel) : vc;
  auto kcm = viewN<float, 3>(kc, {layers, ctx, kv}),
       vcm = viewN<float, 3>(vcHeld, {layers, ctx, kv});
  f(&qm, &km, &vm, &kcm, &vcm, pos, &om);
  vc = valuePanel
           ? panelLayout(vcHeld, layers, ctx, kvHeads, hd, valuePanel, true)
           : vcHeld;
  EXPECT_TRUE(sameBits(got, want));
  // The caches hold the new rows, and only those changed.
  EXPECT_TRUE(sameBits(std::vector<float>(kc.begin() + layer * ctx * kv,
                                          kc.begin() + (layer + 1) * ctx * kv),
                       kRef));
  EXPECT_TRUE(sameBits(std::vector<float>(vc.begin() + layer * ctx * kv,
                                          vc.begin() + (layer + 1) * ctx * kv),
                       vRef));
}

TEST_F(NetworkLowering, AttentionMatchesReference) {
  // Two new rows at positions 3 and 4 of layer 1, grouped query heads:
  // 4 and 5 positions (one group of 4 scores, then one more).
  checkAttention(/*rows=*/2, /*heads=*/4, /*kvHeads=*/2, /*hd=*/16,
                 /*ctx=*/8, /*layer=*/1, /*pos=*/3);
}

TEST_F(NetworkLowering, AttentionMatchesReferenceOverLongerRows) {
  // 10 to 12 positions (groups of 4 scores and 2, 3 or none after them),
  // one kv head for all. Heads of 136: output lanes in 17 groups of 8
  // (passes of 8, 8 and 1 groups); of 256: 16 groups of 16 (two passes).
  checkAttention(/*rows=*/3, /*heads=*/4, /*kvHeads=*/1, /*hd=*/136,
                 /*ctx=*/16, /*layer=*/0, /*pos=*/9);
  checkAttention(/*rows=*/3, /*heads=*/2, /*kvHeads=*/1, /*hd=*/256,
                 /*ctx=*/16, /*layer=*/1, /*pos=*/9);
}

TEST_F(NetworkLowering, AttentionMatchesReferenceWithHeadsGrouped) {
  // Enough rows that each parallel item takes several query heads of one
  // kv head (at least 16 items): 8 rows of 8 heads in 2 groups of 4 (one
  // item per row and group: scores 2 positions at a time, 6 to 13
  // positions), and 8 rows of 4 heads in groups of 2 with heads of 136
  // (output lanes in 17 groups of 8, 4 per pass).
  checkAttention(/*rows=*/8, /*heads=*/8, /*kvHeads=*/2, /*hd=*/32,
                 /*ctx=*/24, /*layer=*/1, /*pos=*/5);
  checkAttention(/*rows=*/8, /*heads=*/4, /*kvHeads=*/2, /*hd=*/136,
                 /*ctx=*/24, /*layer=*/0, /*pos=*/2);
}

TEST_F(NetworkLowering, StagedDecodeAttentionMatchesReference) {
  // One row with staged_from: from that many positions the three ranges
  // (scores over blocks of 64 positions, softmax per head, output passes),
  // below it the one-range form. 131 positions: blocks of 64, 64 and 3
  // (4 positions per step, then one by one); heads of 16 (one output pass
  // of 2 kv heads' 2 query heads x 1 group of 16).
  checkAttention(/*rows=*/1, /*heads=*/4, /*kvHeads=*/2, /*hd=*/16,
                 /*ctx=*/160, /*layer=*/1, /*pos=*/130, /*stagedFrom=*/100);
  checkAttention(/*rows=*/1, /*heads=*/4, /*kvHeads=*/2, /*hd=*/16,
                 /*ctx=*/160, /*layer=*/1, /*pos=*/98, /*stagedFrom=*/100);
  // Exactly staged_from positions; 2B4T's heads (20 on 5 kv heads of 128:
  // 4 output passes of 2 groups of 16 per kv head).
  checkAttention(/*rows=*/1, /*heads=*/20, /*kvHeads=*/5, /*hd=*/128,
                 /*ctx=*/200, /*layer=*/0, /*pos=*/191, /*stagedFrom=*/192);
  // Heads of 136 (17 groups of 8 lanes: 9 passes, the last of one group),
  // one kv head for all; a single position.
  checkAttention(/*rows=*/1, /*heads=*/4, /*kvHeads=*/1, /*hd=*/136,
                 /*ctx=*/80, /*layer=*/1, /*pos=*/70, /*stagedFrom=*/1);
  checkAttention(/*rows=*/1, /*heads=*/4, /*kvHeads=*/1, /*hd=*/136,
                 /*ctx=*/80, /*layer=*/1, /*pos=*/0, /*stagedFrom=*/1);
}

TEST_F(NetworkLowering, AttentionThatRotatesMatchesReference) {
  // The op's rope tables (decode): each item rotates its query heads,
  // scores the newest position against the rotated new key and adds the
  // new value row last; the caches get the rotated key and the value.
  // The one-range form with query heads grouped 2 per kv head (one item
  // each, the first storing) and 4 per kv head at position 0; the staged
  // form over 2B4T's heads in panels of 32 and in whole rows, with the
  // newest position alone in its block (pos 64) and inside one (pos 70).
  checkAttention(/*rows=*/1, /*heads=*/4, /*kvHeads=*/2, /*hd=*/16,
                 /*ctx=*/8, /*layer=*/1, /*pos=*/5, /*stagedFrom=*/0,
                 /*valuePanel=*/0, /*rope=*/true);
  checkAttention(/*rows=*/1, /*heads=*/4, /*kvHeads=*/1, /*hd=*/32,
                 /*ctx=*/8, /*layer=*/0, /*pos=*/0, /*stagedFrom=*/0,
                 /*valuePanel=*/16, /*rope=*/true);
  checkAttention(/*rows=*/1, /*heads=*/20, /*kvHeads=*/5, /*hd=*/128,
                 /*ctx=*/100, /*layer=*/1, /*pos=*/64, /*stagedFrom=*/8,
                 /*valuePanel=*/32, /*rope=*/true);
  checkAttention(/*rows=*/1, /*heads=*/4, /*kvHeads=*/2, /*hd=*/64,
                 /*ctx=*/100, /*layer=*/0, /*pos=*/70, /*stagedFrom=*/8,
                 /*valuePanel=*/0, /*rope=*/true);
}

TEST_F(NetworkLowering, AttentionOverValuePanelsMatchesReference) {
  // value_panel: the value cache in panels of lanes, each panel's rows
  // together; the same outputs, and the new rows stored in that layout.
  // Prefill rows (items of 4 query heads), decode's one range, and
  // decode's three ranges over 2B4T's heads in panels of 32 and 128.
  checkAttention(/*rows=*/8, /*heads=*/8, /*kvHeads=*/2, /*hd=*/32,
                 /*ctx=*/24, /*layer=*/1, /*pos=*/5, /*stagedFrom=*/0,
                 /*valuePanel=*/16);
  checkAttention(/*rows=*/1, /*heads=*/4, /*kvHeads=*/2, /*hd=*/64,
                 /*ctx=*/40, /*layer=*/0, /*pos=*/30, /*stagedFrom=*/0,
                 /*valuePanel=*/32);
  checkAttention(/*rows=*/1, /*heads=*/20, /*kvHeads=*/5, /*hd=*/128,
                 /*ctx=*/200, /*layer=*/1, /*pos=*/191, /*stagedFrom=*/100,
                 /*valuePanel=*/32);
  checkAttention(/*rows=*/1, /*heads=*/20, /*kvHeads=*/5, /*hd=*/128,
                 /*ctx=*/200, /*layer=*/0, /*pos=*/140, /*stagedFrom=*/100,
                 /*valuePanel=*/128);
}

TEST_F(NetworkLowering, SquaredReluGateMatchesReference) {
  const int64_t rows = 2, n = 24;
  const std::string src = llvm::formatv(R"mlir(
    func.func @f(%g: memref<{0}x{1}xf32>, %u: memref<{0}x{1}xf32>, %out: memref<{0}x{1}xf32>)
        attributes {{llvm.emit_c_interface} {
      %gt = bufferization.to_tensor %g restrict : memref<{0}x{1}xf32> to tensor<{0}x{1}xf32>
      %ut = bufferization.to_tensor %u restrict : memref<{0}x{1}xf32> to tensor<{0}x{1}xf32>
      %h = tern.squared_relu_gate %gt, %ut : tensor<{0}x{1}xf32>
      bufferization.materialize_in_destination %h in restrict writable %out : (tensor<{0}x{1}xf32>, memref<{0}x{1}xf32>) -> ()
      return
    })mlir", rows, n).str();
  Jit jit(src);
  ASSERT_EQ(jit.error, "");
  auto f = jit.get<void (*)(Mem2D<float> *, Mem2D<float> *, Mem2D<float> *)>("f");
  ASSERT_TRUE(f) << jit.error;
  std::vector<float> g = random(rows * n, 2.0f, 9), u = random(rows * n, 2.0f, 10);
  std::vector<float> got(rows * n), want(rows * n);
  for (size_t i = 0; i < g.size(); ++i) {
    const float r = std::max(g[i], 0.0f); // ReferenceModel's MLP
    want[i] = r * r * u[i];
  }
  auto gm = view(g, rows, n), um = view(u, rows, n), om = view(got, rows, n);
  f(&gm, &um, &om);
  EXPECT_TRUE(sameBits(got, want));
}

TEST_F(NetworkLowering, EmbeddingWidensTheRowsOfItsTokens) {
  const int64_t vocab = 10, h = 16;
  const std::string src = llvm::formatv(R"mlir(
    func.func @f(%t: memref<{0}x{1}xf16>, %tok: memref<3xi64>, %out: memref<3x{1}xf32>)
        attributes {{llvm.emit_c_interface} {
      %tt = bufferization.to_tensor %t restrict : memref<{0}x{1}xf16> to tensor<{0}x{1}xf16>
      %kt = bufferization.to_tensor %tok restrict : memref<3xi64> to tensor<3xi64>
      %x = tern.embedding %tt[%kt] : tensor<{0}x{1}xf16>, tensor<3xi64> -> tensor<3x{1}xf32>
      bufferization.materialize_in_destination %x in restrict writable %out : (tensor<3x{1}xf32>, memref<3x{1}xf32>) -> ()
      return
    })mlir", vocab, h).str();
  Jit jit(src);
  ASSERT_EQ(jit.error, "");
  auto f = jit.get<void (*)(Mem2D<uint16_t> *, Mem1D<int64_t> *, Mem2D<float> *)>("f");
  ASSERT_TRUE(f) << jit.error;
  std::vector<float> values = random(vocab * h, 1.0f, 11);
  std::vector<uint16_t> table(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    table[i] = ::tern::floatToFp16(values[i]);
  std::vector<int64_t> tokens = {3, 0, 9};
  std::vector<float> got(3 * h), want(3 * h);
  for (int64_t r = 0; r < 3; ++r)
    for (int64_t i = 0; i < h; ++i)
      want[r * h + i] = ::tern::fp16ToFloat(table[tokens[r] * h + i]);
  auto tm = view(table, vocab, h);
  auto om = view(got, 3, h);
  auto km = view1(tokens);
  f(&tm, &km, &om);
  EXPECT_TRUE(sameBits(got, want));
}

/// tern.lm_head of native rows against HeadFormat.h's dot order: with and
/// without a first row, and every row wanted with tiles of vocabulary rows
/// x token rows (a vocabulary of rows left over past whole tiles, token
/// rows past whole groups). int8 of f32 rows, the screened head's scan, is
/// an integer head (IntegerHead.ScreenScanMatchesReference).
class LmHead : public NetworkLowering {
protected:
  /// Compiles the op over [rows, h] token rows and a vocabulary of `vocab`
  /// rows, with `from` (" from %first" or "") and `attrs` (e.g. "{tile =
  /// array<i64: 2, 4>}"), runs it from token row `first` and compares every
  /// logit with the reference's, bit for bit (rows before `first` keep -7).
  void check(int64_t rows, int64_t h, int64_t vocab, const std::string &from,
             const std::string &attrs, int64_t first);
};

void LmHead::check(int64_t rows, int64_t h, int64_t vocab,
                   const std::string &from, const std::string &attrs,
                   int64_t first) {
  const std::string src = llvm::formatv(R"mlir(
    func.func @f(%x: memref<{0}x{1}xf32>, %w: memref<{2}x{1}xf32>,
                 %logits: memref<{0}x{2}xf32>, %first: index)
        attributes {{llvm.emit_c_interface} {
      %xt = bufferization.to_tensor %x restrict : memref<{0}x{1}xf32> to tensor<{0}x{1}xf32>
      %wt = bufferization.to_tensor %w restrict : memref<{2}x{1}xf32> to tensor<{2}x{1}xf32>
      tern.lm_head %xt, %wt into %logits{3} as native {4}
        : tensor<{0}x{1}xf32>, tensor<{2}x{1}xf32> into memref<{0}x{2}xf32>
      return
    })mlir", rows, h, vocab, from, attrs).str();
  Jit jit(src);
  ASSERT_EQ(jit.error, "");
  auto f = jit.get<void (*)(Mem2D<float> *, Mem2D<float> *, Mem2D<float> *,
                            int64_t)>("f");
  ASSERT_TRUE(f) << jit.error;
  std::vector<float> x = random(rows * h, 1.0f, 12), w = random(vocab * h, 0.05f, 13);
  std::vector<float> got(rows * vocab, -7.0f), want(rows * vocab, -7.0f);
  for (int64_t r = first; r < rows; ++r)
    for (int64_t v = 0; v < vocab; ++v)
      want[r * vocab + v] = ::tern::dotHead(&x[r * h], &w[v * h], h);
  auto xm = view(x, rows, h), wm = view(w, vocab, h), om = view(got, rows, vocab);
  f(&xm, &wm, &om, first);
  EXPECT_TRUE(sameBits(got, want)) << "from row " << first << " " << attrs;
}

TEST_F(LmHead, MatchesReference) {
  for (int64_t first : {0, 1})
    check(2, 64, 40, " from %first", "", first);
}

TEST_F(LmHead, TilesOfEveryRowMatchReference) {
  for (const char *tile : {"", "{tile = array<i64: 1, 2>}",
                           "{tile = array<i64: 2, 4>}",
                           "{tile = array<i64: 3, 2>}",
                           "{tile = array<i64: 4, 8>}"})
    check(6, 96, 41, "", tile, 0);
}

/// The integer heads with each multiply-add of byte quads the registry has
/// (the families this CPU runs; "" is plain vector arithmetic).
class IntegerHead : public NetworkLowering,
                    public ::testing::WithParamInterface<std::string> {
protected:
  void SetUp() override {
    const std::string dot = GetParam();
    if (dot.empty())
      return;
    const mlir::tern::KernelFamily *f = mlir::tern::findKernelFamily(dot);
    ASSERT_TRUE(f && f->quadDot) << dot;
    if (!f->runsOn(mlir::tern::hostTarget()))
      GTEST_SKIP() << "this CPU (" << mlir::tern::hostTarget().cpu
                   << ") cannot run the " << dot << " family's instructions";
  }
  /// `{dot = "family"}`, or "".
  std::string dotAttr() const {
    return GetParam().empty()
               ? ""
               : llvm::formatv("{{dot = \"{0}\"}", GetParam()).str();
  }
};

/// q4, from tern.quantize_act, against q4HeadLogit: whole blocks of 16
/// groups, groups past them (also past the last whole 4), and a first row.
TEST_P(IntegerHead, Q4MatchesReference) {
  const std::string dot = GetParam();
  const int64_t vocab = 37;
  // (rows, hidden): 21 groups = 1 block + 5; 2 blocks; 2 groups; rows
  // enough for the per-call buffers to live on the heap (over 256 KiB).
  for (auto [rows, h] : {std::pair<int64_t, int64_t>{3, 672}, {1, 1024},
                         {2, 64}, {72, 4096}}) {
    const int64_t cb = h / 2, sc = h / 32;
    const std::string attr = dotAttr();
    const std::string src = llvm::formatv(R"mlir(
      func.func @f(%x: memref<{0}x{1}xf32>, %w: memref<{2}x{3}xi8>,
                   %s: memref<{2}x{4}xf16>, %logits: memref<{0}x{2}xf32>,
                   %first: index) attributes {{llvm.emit_c_interface} {
        %xt = bufferization.to_tensor %x restrict : memref<{0}x{1}xf32> to tensor<{0}x{1}xf32>
        %wt = bufferization.to_tensor %w restrict : memref<{2}x{3}xi8> to tensor<{2}x{3}xi8>
        %st = bufferization.to_tensor %s restrict : memref<{2}x{4}xf16> to tensor<{2}x{4}xf16>
        %q, %qs = tern.quantize_act %xt : tensor<{0}x{1}xf32> -> tensor<{0}x{1}xi8>, tensor<{0}xf32>
        tern.lm_head %q scaled %qs, %wt, %st into %logits from %first as q4 {5}
          : tensor<{0}x{1}xi8> scaled tensor<{0}xf32>, tensor<{2}x{3}xi8>,
            tensor<{2}x{4}xf16> into memref<{0}x{2}xf32>
        return
      })mlir", rows, h, vocab, cb, sc, attr).str();
    Jit jit(src);
    ASSERT_EQ(jit.error, "") << h;
    auto f = jit.get<void (*)(Mem2D<float> *, Mem2D<int8_t> *,
                              Mem2D<uint16_t> *, Mem2D<float> *, int64_t)>(
        "f");
    ASSERT_TRUE(f) << jit.error;
    std::vector<float> x = random(rows * h, 1.0f, 40 + h),
                       w = random(vocab * h, 0.05f, 41 + h);
    x[5] = 9.0f; // an outlier sets the row's scale
    std::vector<int8_t> codes(vocab * cb);
    std::vector<float> s(vocab * sc);
    for (int64_t v = 0; v < vocab; ++v)
      ::tern::quantizeHeadRow(::tern::HeadFormat::Q4, &w[v * h], h,
                              reinterpret_cast<uint8_t *>(&codes[v * cb]),
                              &s[v * sc]);
    // The stored f16 scales (each float an f16 value).
    std::vector<uint16_t> s16(s.size());
    for (size_t i = 0; i < s.size(); ++i)
      s16[i] = ::tern::floatToFp16(s[i]);
    std::vector<int8_t> xq(rows * h);
    std::vector<float> xs(rows);
    ::tern::quantizeActivations(x.data(), rows, h, xq.data(), xs.data());
    for (int64_t first : {int64_t{0}, rows - 1}) {
      std::vector<float> got(rows * vocab, -7.0f), want(rows * vocab, -7.0f);
      for (int64_t r = first; r < rows; ++r)
        for (int64_t v = 0; v < vocab; ++v)
          want[r * vocab + v] = ::tern::q4HeadLogit(
              &xq[r * h], xs[r], reinterpret_cast<uint8_t *>(&codes[v * cb]),
              &s[v * sc], h);
      auto xm = view(x, rows, h), om = view(got, rows, vocab);
      auto sm = view(s16, vocab, sc);
      auto wm = view(codes, vocab, cb);
      f(&xm, &wm, &sm, &om, first);
      EXPECT_TRUE(sameBits(got, want))
          << "dot '" << dot << "', " << rows << "x" << h << " from row "
          << first << ": logit 0 " << got[first * vocab] << " vs "
          << want[first * vocab];
    }
  }
}

/// int8 of i8 token rows against int8HeadLogit, the rows given as codes
/// (every value from -128 to 127 among them: -128 is clamped to -127):
/// steps of 256 columns, whole 64-byte chunks past them, columns past the
/// last chunk, only such columns, and rows enough for the per-call buffers
/// to live on the heap; all rows and from the last.
TEST_P(IntegerHead, Int8MatchesReference) {
  const std::string dot = GetParam();
  const int64_t vocab = 29;
  for (auto [rows, h] : {std::pair<int64_t, int64_t>{3, 672}, {1, 1024},
                         {2, 200}, {1, 8}, {40, 4096}}) {
    const std::string src = llvm::formatv(R"mlir(
      func.func @f(%x: memref<{0}x{1}xi8>, %xs: memref<{0}xf32>,
                   %w: memref<{2}x{1}xi8>, %s: memref<{2}x1xf32>,
                   %logits: memref<{0}x{2}xf32>, %first: index)
          attributes {{llvm.emit_c_interface} {
        %xt = bufferization.to_tensor %x restrict : memref<{0}x{1}xi8> to tensor<{0}x{1}xi8>
        %xst = bufferization.to_tensor %xs restrict : memref<{0}xf32> to tensor<{0}xf32>
        %wt = bufferization.to_tensor %w restrict : memref<{2}x{1}xi8> to tensor<{2}x{1}xi8>
        %st = bufferization.to_tensor %s restrict : memref<{2}x1xf32> to tensor<{2}x1xf32>
        tern.lm_head %xt scaled %xst, %wt, %st into %logits from %first as int8 {3}
          : tensor<{0}x{1}xi8> scaled tensor<{0}xf32>, tensor<{2}x{1}xi8>,
            tensor<{2}x1xf32> into memref<{0}x{2}xf32>
        return
      })mlir", rows, h, vocab, dotAttr()).str();
    Jit jit(src);
    ASSERT_EQ(jit.error, "") << h;
    auto f = jit.get<void (*)(Mem2D<int8_t> *, Mem1D<float> *, Mem2D<int8_t> *,
                              Mem2D<float> *, Mem2D<float> *, int64_t)>("f");
    ASSERT_TRUE(f) << jit.error;
    std::vector<float> w = random(vocab * h, 0.05f, 51 + h);
    std::vector<int8_t> codes(vocab * h), xq(rows * h);
    std::vector<float> s(vocab), xs(rows);
    for (int64_t v = 0; v < vocab; ++v)
      ::tern::quantizeHeadRow(::tern::HeadFormat::Int8, &w[v * h], h,
                              reinterpret_cast<uint8_t *>(&codes[v * h]),
                              &s[v]);
    for (int64_t i = 0; i < rows * h; ++i)
      xq[i] = static_cast<int8_t>((i * 97 + h) % 256 - 128);
    for (int64_t r = 0; r < rows; ++r)
      xs[r] = 50.0f + static_cast<float>(r);
    for (int64_t first : {int64_t{0}, rows - 1}) {
      std::vector<float> got(rows * vocab, -7.0f), want(rows * vocab, -7.0f);
      for (int64_t r = first; r < rows; ++r)
        for (int64_t v = 0; v < vocab; ++v)
          want[r * vocab + v] = ::tern::int8HeadLogit(
              &xq[r * h], xs[r], reinterpret_cast<uint8_t *>(&codes[v * h]),
              s[v], h);
      auto xm = view(xq, rows, h), wm = view(codes, vocab, h);
      auto sm = view(s, vocab, 1), om = view(got, rows, vocab);
      auto xsm = view1(xs);
      f(&xm, &xsm, &wm, &sm, &om, first);
      EXPECT_TRUE(sameBits(got, want))
          << "dot '" << dot << "', " << rows << "x" << h << " from row "
          << first << ": logit 0 " << got[first * vocab] << " vs "
          << want[first * vocab];
    }
  }
}

/// int8 of f32 token rows (the screened head's scan) against
/// quantizeScreenRow and screenScanLogit: the shapes of the int8 test, and
/// token rows with an outlier, negative elements at the largest |x|, a
/// NaN element and a zero row (xs = 1).
TEST_P(IntegerHead, ScreenScanMatchesReference) {
  const std::string dot = GetParam();
  const int64_t vocab = 29;
  for (auto [rows, h] : {std::pair<int64_t, int64_t>{3, 672}, {1, 1024},
                         {4, 200}, {1, 8}, {40, 4096}}) {
    const std::string src = llvm::formatv(R"mlir(
      func.func @f(%x: memref<{0}x{1}xf32>, %w: memref<{2}x{1}xi8>,
                   %s: memref<{2}x1xf32>, %logits: memref<{0}x{2}xf32>,
                   %first: index) attributes {{llvm.emit_c_interface} {
        %xt = bufferization.to_tensor %x restrict : memref<{0}x{1}xf32> to tensor<{0}x{1}xf32>
        %wt = bufferization.to_tensor %w restrict : memref<{2}x{1}xi8> to tensor<{2}x{1}xi8>
        %st = bufferization.to_tensor %s restrict : memref<{2}x1xf32> to tensor<{2}x1xf32>
        tern.lm_head %xt, %wt, %st into %logits from %first as int8 {3}
          : tensor<{0}x{1}xf32>, tensor<{2}x{1}xi8>, tensor<{2}x1xf32>
            into memref<{0}x{2}xf32>
        return
      })mlir", rows, h, vocab, dotAttr()).str();
    Jit jit(src);
    ASSERT_EQ(jit.error, "") << h;
    auto f = jit.get<void (*)(Mem2D<float> *, Mem2D<int8_t> *, Mem2D<float> *,
                              Mem2D<float> *, int64_t)>("f");
    ASSERT_TRUE(f) << jit.error;
    std::vector<float> w = random(vocab * h, 0.05f, 61 + h),
                       x = random(rows * h, 1.0f, 62 + h);
    for (int64_t r = 0; r < rows; ++r) {
      x[r * h + (r * 37) % h] = r % 2 ? -30.0f : 30.0f; // the largest |x|
      x[r * h + (r * 11 + 3) % h] = -30.0f;
    }
    if (rows > 2) {
      x[h + 1] = std::numeric_limits<float>::quiet_NaN();
      std::fill(x.begin() + 2 * h, x.begin() + 3 * h, 0.0f);
    }
    std::vector<int8_t> codes(vocab * h);
    std::vector<float> s(vocab);
    for (int64_t v = 0; v < vocab; ++v)
      ::tern::quantizeHeadRow(::tern::HeadFormat::Int8, &w[v * h], h,
                              reinterpret_cast<uint8_t *>(&codes[v * h]),
                              &s[v]);
    std::vector<int16_t> u(rows * h);
    std::vector<float> xs(rows);
    for (int64_t r = 0; r < rows; ++r)
      xs[r] = ::tern::quantizeScreenRow(&x[r * h], h, &u[r * h]);
    for (int64_t first : {int64_t{0}, rows - 1}) {
      std::vector<float> got(rows * vocab, -7.0f), want(rows * vocab, -7.0f);
      for (int64_t r = first; r < rows; ++r)
        for (int64_t v = 0; v < vocab; ++v)
          want[r * vocab + v] = ::tern::screenScanLogit(
              &u[r * h], xs[r], reinterpret_cast<uint8_t *>(&codes[v * h]),
              s[v], h);
      auto xm = view(x, rows, h);
      auto wm = view(codes, vocab, h);
      auto sm = view(s, vocab, 1), om = view(got, rows, vocab);
      f(&xm, &wm, &sm, &om, first);
      EXPECT_TRUE(sameBits(got, want))
          << "dot '" << dot << "', " << rows << "x" << h << " from row "
          << first << ": logit 0 " << got[first * vocab] << " vs "
          << want[first * vocab];
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Dots, IntegerHead, ::testing::ValuesIn([] {
      std::vector<std::string> dots = {""};
      for (const mlir::tern::KernelFamily *f : mlir::tern::kernelFamilies())
        if (f->quadDot)
          dots.push_back(f->name.str());
      return dots;
    }()),
    [](const auto &info) {
      std::string n = info.param.empty() ? "plain" : info.param;
      std::replace(n.begin(), n.end(), '-', '_');
      return n;
    });

/// @f(x [1, h], w [vocab, h], bounds [vocab, 2], logits [vocab]): one
/// tern.screen_head with the attribute dictionary `attrs`.
std::string screenHeadSource(int64_t h, int64_t vocab,
                             const std::string &attrs) {
  return llvm::formatv(R"mlir(
    func.func @f(%x: memref<1x{0}xf32>, %w: memref<{1}x{0}xf32>,
                 %b: memref<{1}x2xf32>, %logits: memref<{1}xf32>)
        attributes {{llvm.emit_c_interface} {
      %xt = bufferization.to_tensor %x restrict : memref<1x{0}xf32> to tensor<1x{0}xf32>
      %wt = bufferization.to_tensor %w restrict : memref<{1}x{0}xf32> to tensor<{1}x{0}xf32>
      %bt = bufferization.to_tensor %b restrict : memref<{1}x2xf32> to tensor<{1}x2xf32>
      tern.screen_head %xt, %wt, %bt into %logits {2}
        : tensor<1x{0}xf32>, tensor<{1}x{0}xf32>, tensor<{1}x2xf32> into memref<{1}xf32>
      return
    })mlir", h, vocab, attrs).str();
}

using ScreenHeadFn = void (*)(Mem2D<float> *, Mem2D<float> *, Mem2D<float> *,
                              Mem1D<float> *);

/// Runs `f` (screenHeadSource) on x, w [vocab, x.size()] and `bounds` (as
/// the [vocab, 2] f32 values tern.screen_head reads) into `logits`.
void callScreenHead(ScreenHeadFn f, std::vector<float> &x,
                    std::vector<float> &w,
                    const std::vector<::tern::ScreenBound> &bounds,
                    std::vector<float> &logits) {
  const int64_t h = static_cast<int64_t>(x.size());
  const int64_t vocab = static_cast<int64_t>(bounds.size());
  std::vector<float> flat;
  for (const ::tern::ScreenBound &c : bounds) {
    flat.push_back(c.perNorm);
    flat.push_back(c.perMax);
  }
  auto xm = view(x, 1, h), wm = view(w, vocab, h), bm = view(flat, vocab, 2);
  auto om = view1(logits);
  f(&xm, &wm, &bm, &om);
}

/// tern.screen_head against screenHeadLogits: the same rows recomputed,
/// the same floats, from int8 logits that leave several near the top, and
/// every row for a token row below kScreenTinyNorm.
TEST_F(NetworkLowering, ScreenHeadMatchesReference) {
  const int64_t h = 64, vocab = 300;
  Jit jit(screenHeadSource(h, vocab, ""));
  ASSERT_EQ(jit.error, "");
  auto f = jit.get<ScreenHeadFn>("f");
  ASSERT_TRUE(f) << jit.error;
  std::vector<float> w = random(vocab * h, 0.05f, 21), approx(vocab);
  std::vector<::tern::ScreenBound> bounds(vocab);
  std::vector<uint8_t> codes(h);
  std::vector<int16_t> u(h);
  for (unsigned t = 0; t < 7; ++t) {
    std::vector<float> x = random(h, 1.0f, 30 + t);
    // The last: a token row below kScreenTinyNorm (every row recomputed).
    if (t == 6)
      for (float &e : x)
        e *= 0x1p-70f;
    const float xs = ::tern::quantizeScreenRow(x.data(), h, u.data());
    for (int64_t v = 0; v < vocab; ++v) {
      float scale = 0;
      ::tern::quantizeHeadRow(::tern::HeadFormat::Int8, &w[v * h], h,
                              codes.data(), &scale);
      bounds[v] = ::tern::headScreenBound(&w[v * h], codes.data(), scale, h);
      approx[v] = ::tern::screenScanLogit(u.data(), xs, codes.data(), scale, h);
    }
    // Wider bounds for some token rows: more rows survive the screen.
    if (t % 2)
      for (::tern::ScreenBound &c : bounds) {
        c.perNorm *= 8.0f;
        c.perMax *= 8.0f;
      }
    // The part per unit of max|x| as wide as the rest: the rows that
    // survive depend on m = max|x| as well as on n.
    if (t % 3 == 1)
      for (::tern::ScreenBound &c : bounds)
        c.perMax = c.perNorm;
    // Every row survives, more than one list of candidates (the lowering
    // lists 256 rows at a time).
    if (t == 5)
      for (::tern::ScreenBound &c : bounds)
        c.perNorm *= 1e6f;
    std::vector<float> want = approx, got = approx;
    const int64_t recomputed = ::tern::screenHeadLogits(
        x.data(), h, bounds.data(), vocab, want.data(), [&](int64_t v) {
          return ::tern::dotHead(x.data(), &w[v * h], h);
        });
    EXPECT_GE(recomputed, 1);
    if (t >= 5) {
      EXPECT_EQ(recomputed, vocab);
    }
    callScreenHead(f, x, w, bounds, got);
    EXPECT_TRUE(sameBits(got, want)) << "token row " << t << ", "
                                     << recomputed << " rows recomputed";
  }
}

/// The best lower bound shared by rows in one lane (21, 37), in another
/// lane (40) and past the last whole block of 16 (290): the first, 21, is
/// the one recomputed, as screenHeadLogits picks it. Their native logits
/// are the same and lie above the shared a + B, so each of the others
/// keeps a: a lowering that picked another row would recompute that one
/// instead.
TEST_F(NetworkLowering, ScreenHeadPicksTheFirstOfEqualLowerBounds) {
  const int64_t h = 64, vocab = 300;
  Jit jit(screenHeadSource(h, vocab, ""));
  ASSERT_EQ(jit.error, "");
  auto f = jit.get<ScreenHeadFn>("f");
  ASSERT_TRUE(f) << jit.error;
  std::vector<float> x = random(h, 1.0f, 50);
  std::vector<float> w = random(vocab * h, 0.05f, 51), approx(vocab);
  std::vector<::tern::ScreenBound> bounds(vocab, {0.06f, 0.01f});
  for (int64_t v = 0; v < vocab; ++v)
    approx[v] = ::tern::dotHead(x.data(), &w[v * h], h);
  const float norm2 = ::tern::dotHead(x.data(), x.data(), h);
  for (int64_t v : {21, 37, 40, 290}) {
    for (int64_t i = 0; i < h; ++i)
      w[v * h + i] = 0.1f * x[i];
    approx[v] = 0.05f * norm2; // half the native logit, above every other
    bounds[v] = {0.0f, 0.0f};
  }
  std::vector<float> want = approx, got = approx;
  ::tern::screenHeadLogits(x.data(), h, bounds.data(), vocab, want.data(),
                           [&](int64_t v) {
                             return ::tern::dotHead(x.data(), &w[v * h], h);
                           });
  ASSERT_NE(want[21], approx[21]);
  for (int64_t v : {37, 40, 290})
    ASSERT_EQ(want[v], approx[v]) << v;
  callScreenHead(f, x, w, bounds, got);
  EXPECT_TRUE(sameBits(got, want));
  for (int64_t v : {21, 37, 40, 290})
    EXPECT_EQ(got[v], want[v]) << v;
}

/// tern.screen_head's min_norm (the q4 screen's bounds hold from
/// screenMinNorm up): a token row of norm below it gets every row's native
/// logit, one above it is screened, as screenHeadLogits with that minNorm.
TEST_F(NetworkLowering, ScreenHeadMinNormMatchesReference) {
  const int64_t h = 64, vocab = 300;
  const float minNorm = 0.5f;
  Jit jit(screenHeadSource(h, vocab, "{min_norm = 5.000000e-01 : f32}"));
  ASSERT_EQ(jit.error, "");
  auto f = jit.get<ScreenHeadFn>("f");
  ASSERT_TRUE(f) << jit.error;
  std::vector<float> w = random(vocab * h, 0.05f, 22), approx(vocab);
  std::vector<::tern::ScreenBound> bounds(vocab);
  std::vector<uint8_t> codes(h);
  for (float normWanted : {0.3f, 5.0f}) {
    std::vector<float> x = random(h, 1.0f, 40);
    const float n = std::sqrt(::tern::dotHead(x.data(), x.data(), h));
    for (float &e : x)
      e *= normWanted / n;
    for (int64_t v = 0; v < vocab; ++v) {
      float scale = 0;
      ::tern::quantizeHeadRow(::tern::HeadFormat::Int8, &w[v * h], h,
                              codes.data(), &scale);
      bounds[v] = ::tern::headScreenBound(&w[v * h], codes.data(), scale, h);
      approx[v] = ::tern::dotHead(x.data(), &w[v * h], h) + 1e-4f * (v % 7);
    }
    std::vector<float> want = approx, got = approx;
    const int64_t recomputed = ::tern::screenHeadLogits(
        x.data(), h, bounds.data(), vocab, want.data(),
        [&](int64_t v) { return ::tern::dotHead(x.data(), &w[v * h], h); },
        minNorm);
    if (normWanted < minNorm) {
      EXPECT_EQ(recomputed, vocab);
    } else {
      EXPECT_LT(recomputed, vocab);
    }
    callScreenHead(f, x, w, bounds, got);
    EXPECT_TRUE(sameBits(got, want)) << "norm " << normWanted << ", "
                                     << recomputed << " rows recomputed";
  }
}


} // namespace
