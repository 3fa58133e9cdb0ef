//===- ModelImporter.cpp - A loaded model as an MLIR module ---------------===//

#include "compiler/Import/ModelImporter.h"

#include "dialects/Tern/IR/TernOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "runtime/model/Half.h"
#include "runtime/ternary/Packing.h"

#include <cmath>
#include <cstring>
#include <map>

using namespace mlir;
using namespace mlir::tern;
namespace rt = ::tern;

std::vector<MatmulWeight> mlir::tern::layerMatmuls(const rt::LayerWeights &l,
                                                  bool fuse) {
  auto one = [](std::vector<const rt::TernaryTensor *> parts) {
    MatmulWeight w;
    w.parts = std::move(parts);
    w.cols = w.parts.front()->cols;
    for (const rt::TernaryTensor *t : w.parts) {
      w.name += (w.name.empty() ? "" : "+") + t->name;
      w.rows += t->rows;
    }
    return w;
  };
  if (fuse)
    return {one({&l.attnQ, &l.attnK, &l.attnV}), one({&l.attnOutput}),
            one({&l.ffnGate, &l.ffnUp}), one({&l.ffnDown})};
  std::vector<MatmulWeight> out;
  for (const rt::TernaryTensor *t : rt::bitLinearWeights(l))
    out.push_back(one({t}));
  return out;
}

namespace {

constexpr int64_t kLanes = 8; // the reference's dot product width

class Importer {
public:
  Importer(MLIRContext &ctx, std::shared_ptr<const rt::ModelDescription> m,
           const ImportOptions &o)
      : ctx_(ctx), b_(&ctx), loc_(UnknownLoc::get(&ctx)), model_(std::move(m)),
        m_(*model_), c_(m_.config), opts_(o) {}

  llvm::Expected<ImportedModel> run();

private:
  llvm::Error check();
  int64_t pickBlock();

  // Constants and types.
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b_, loc_, v); }
  Value f32c(float v) {
    return arith::ConstantOp::create(b_, loc_, b_.getF32FloatAttr(v));
  }
  Value f64c(double v) {
    return arith::ConstantOp::create(b_, loc_, b_.getF64FloatAttr(v));
  }
  /// [rows, n] f32: activations of the entry point being built.
  MemRefType row(int64_t n) {
    return MemRefType::get({rows_, n}, b_.getF32Type());
  }
  Value alloca(int64_t n) { return memref::AllocaOp::create(b_, loc_, row(n)); }
  /// body(r) for each row r of the entry point being built.
  void forRows(const std::function<void(Value)> &body) {
    forEach(0, rows_, body);
  }

  // Loops: body(iv) for iv in [lb, ub) step `step`.
  void forEach(Value lb, Value ub, int64_t step,
               const std::function<void(Value)> &body) {
    auto f = scf::ForOp::create(b_, loc_, lb, ub, idx(step));
    OpBuilder::InsertionGuard guard(b_);
    b_.setInsertionPointToStart(f.getBody());
    body(f.getInductionVar());
  }
  void forEach(int64_t lb, int64_t ub, const std::function<void(Value)> &body) {
    forEach(idx(lb), idx(ub), 1, body);
  }
  /// A reduction loop: returns the final value of `init` updated by step().
  Value reduce(Value lb, Value ub, int64_t step, Value init,
               const std::function<Value(Value iv, Value acc)> &stepFn) {
    auto f = scf::ForOp::create(
        b_, loc_, lb, ub, idx(step), ValueRange{init},
        [&](OpBuilder &nb, Location l, Value iv, ValueRange acc) {
          OpBuilder::InsertionGuard guard(b_);
          b_.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          Value next = stepFn(iv, acc[0]);
          scf::YieldOp::create(b_, l, next);
        });
    return f.getResult(0);
  }

  // Vectors of kLanes lanes.
  VectorType vec(Type element) { return VectorType::get({kLanes}, element); }
  Value vload(Value mem, ValueRange indices) {
    auto t = vec(cast<MemRefType>(mem.getType()).getElementType());
    return vector::LoadOp::create(b_, loc_, t, mem, indices);
  }
  void vstore(Value v, Value mem, ValueRange indices) {
    vector::StoreOp::create(b_, loc_, v, mem, indices);
  }
  Value vzero(Type element) {
    return arith::ConstantOp::create(
        b_, loc_,
        DenseElementsAttr::get(vec(element), b_.getFloatAttr(element, 0.0)));
  }
  Value vsplat(Value scalar) {
    return vector::BroadcastOp::create(b_, loc_, vec(scalar.getType()),
                                       scalar);
  }
  /// body(i) for i = 0, 8, ..., n - 8 (n is a multiple of kLanes).
  void forEachVec(int64_t n, const std::function<void(Value)> &body) {
    forEach(idx(0), idx(n), kLanes, body);
  }
  /// The lanes of `acc` summed pairwise in the reference's fixed order,
  /// ((p0 + p4) + (p2 + p6)) + ((p1 + p5) + (p3 + p7)).
  Value laneTree(Value acc);

  // Blob.
  uint64_t place(const std::string &name, uint64_t size,
                 std::function<bool(uint8_t *)> fill) {
    // Every entry point reads the same weights: place each once.
    for (const BlobEntry &e : out_.blob)
      if (e.name == name)
        return e.offset;
    const uint64_t offset = (out_.blobSize + 63) / 64 * 64;
    out_.blob.push_back({name, offset, size, std::move(fill)});
    out_.blobSize = offset + size;
    return offset;
  }
  Value viewOf(uint64_t offset, MemRefType type) {
    return memref::ViewOp::create(b_, loc_, type, blob_,
                                  idx(static_cast<int64_t>(offset)),
                                  ValueRange{});
  }
  Value normWeights(const rt::FloatTensor &t);
  Value ternaryWeights(const MatmulWeight &w, rt::PackedLayout layout);
  rt::PackedLayout layoutFor(const MatmulWeight &w);
  Value embedding(const rt::DenseTensor &t);

  // Steps of the network (see ReferenceModel.h for the numerics).
  void rmsNorm(Value x, Value w, int64_t n, Value out);
  Value dot(int64_t n, const std::function<Value(Value k)> &loadA,
            const std::function<Value(Value k)> &loadB);
  /// rt::dotHead's order: sum over k of loadX(k, w) * loadW(k, w), where
  /// the loads return vector<w x f32> at k and w is 32 lanes (8 when n is
  /// not a multiple of 32).
  Value headDot(int64_t n,
                const std::function<Value(Value k, int64_t w)> &loadX,
                const std::function<Value(Value k, int64_t w)> &loadW);
  /// The head's weights: the dense matrix (native) or the quantized codes
  /// and scales; and the function computing vocabulary rows with them.
  SmallVector<Value> headWeights(const rt::DenseTensor &t);
  void buildHeadFn(const std::string &name, bool decode,
                   ArrayRef<Value> weights, MemRefType logitsType);
  /// outs[i] = BitLinear(in; w.parts[i]) for the k-wide rows of `in`.
  void bitLinear(Value in, int64_t k, const MatmulWeight &w,
                 ArrayRef<Value> outs);
  /// cos/sin of each row's position at each frequency (ropeCos_/ropeSin_).
  void ropeTables();
  void rope(Value buf, int64_t heads);
  void layer(int64_t l, const rt::LayerWeights &w);
  /// The entry point's attention function (built once): softmax(q k^T) v
  /// for (row, head) pairs [begin, end), a tern.parallel callee.
  std::string attentionFn();
  std::string entryName_;
  /// One entry point: `rows` == 0 is decode (one token), else prefill of
  /// exactly `rows` tokens.
  void buildEntry(const std::string &name, int64_t rows);

  MLIRContext &ctx_;
  OpBuilder b_;
  Location loc_;
  std::shared_ptr<const rt::ModelDescription> model_;
  const rt::ModelDescription &m_;
  const rt::ModelConfig &c_;
  ImportOptions opts_;
  ImportedModel out_;
  int64_t block_ = 128;
  std::map<std::string, rt::PackedLayout> layouts_; ///< chosen, by weight name
  int64_t rows_ = 1; ///< Token rows of the entry point being built.

  Value blob_, kCache_, vCache_, pos_, logits_;
  Value x_, xn_, q_, k_, v_, att_, proj_, gate_, up_, scores_;
  Value ropeCos_, ropeSin_;
  SmallVector<Value> blobArgs_;
  SmallVector<func::FuncOp> funcs_;
};

llvm::Error Importer::check() {
  auto fail = [&](const std::string &why) {
    return llvm::createStringError(m_.sourcePath + ": " + why);
  };
  if (c_.hiddenSize % kLanes || c_.headDim % (2 * kLanes) ||
      c_.intermediateSize % kLanes)
    return fail("tern compile needs hidden size and intermediate size "
                "divisible by 8 and head dim by 16 (got " +
                std::to_string(c_.hiddenSize) +
                ", " + std::to_string(c_.headDim) + ", " +
                std::to_string(c_.intermediateSize) + ")");
  if (static_cast<int64_t>(m_.layers.size()) != c_.numLayers)
    return fail("layer count does not match the configuration");
  if (opts_.contextSize < 0)
    return fail("negative context size");
  if (std::string bad = rt::checkHeadFormat(opts_.head, c_.hiddenSize);
      !bad.empty())
    return fail(bad);
  if (opts_.layout)
    for (const rt::LayerWeights &w : m_.layers)
      for (const MatmulWeight &mw : layerMatmuls(w, opts_.fuseProjections)) {
        const rt::PackedLayout l = opts_.layout(mw.name, mw.rows, mw.cols);
        if (l.block == 0)
          continue;
        const bool known = l.kind == rt::PackingKind::I2 ||
                           l.kind == rt::PackingKind::Base3V ||
                           l.kind == rt::PackingKind::Lut2I;
        const std::string why =
            known ? rt::checkPackedShape(l, mw.rows, mw.cols)
                  : "kernels read i2, base3v or lut2i only";
        if (!why.empty())
          return fail("the layout chosen for '" + mw.name + "' (" +
                      rt::packingKindName(l.kind) + ", block " +
                      std::to_string(l.block) + ") does not fit its " +
                      std::to_string(mw.rows) + "x" +
                      std::to_string(mw.cols) + " weights: " + why);
        layouts_[mw.name] = l;
      }
  return llvm::Error::success();
}

int64_t Importer::pickBlock() {
  const int64_t ks[] = {c_.hiddenSize, c_.numHeads * c_.headDim,
                        c_.intermediateSize};
  auto fits = [&](int64_t blk) {
    for (int64_t k : ks)
      if (k % blk)
        return false;
    return true;
  };
  if (opts_.i2Block > 0)
    return opts_.i2Block;
  for (int64_t blk = 128; blk >= 4; blk /= 2)
    if (fits(blk))
      return blk;
  return 4;
}

Value Importer::normWeights(const rt::FloatTensor &t) {
  const int64_t n = t.size;
  const float *data = t.data;
  auto model = model_; // keeps `data` alive for the fill
  const uint64_t off = place(t.name, static_cast<uint64_t>(n) * 4,
                             [model, data, n](uint8_t *dst) {
                               std::memcpy(dst, data, n * 4);
                               return true;
                             });
  return viewOf(off, MemRefType::get({n}, b_.getF32Type()));
}

rt::PackedLayout Importer::layoutFor(const MatmulWeight &t) {
  auto it = layouts_.find(t.name);
  return it == layouts_.end() ? rt::PackedLayout{rt::PackingKind::I2, block_}
                              : it->second;
}

Value Importer::ternaryWeights(const MatmulWeight &t,
                               rt::PackedLayout layout) {
  const int64_t rowBytes = rt::packedRowBytes(layout, t.cols);
  auto model = model_;
  std::vector<rt::TernaryTensor> parts;
  for (const rt::TernaryTensor *p : t.parts)
    parts.push_back(*p);
  const int64_t rows = t.rows, cols = t.cols;
  const uint64_t off =
      place(t.name, static_cast<uint64_t>(t.rows * rowBytes),
            [model, parts, rows, cols, layout, rowBytes](uint8_t *dst) {
              // Row r of the stacked parts.
              auto unpackRow = [&](int64_t r, int8_t *out) {
                for (const rt::TernaryTensor &p : parts) {
                  if (r < p.rows)
                    return rt::unpackTernaryRow(p, r, out);
                  r -= p.rows;
                }
                return false;
              };
              // Rows the layout packs together (32 for lut2i), one group
              // at a time.
              const int64_t group = rt::packedRowGroup(layout.kind);
              std::vector<int8_t> values(static_cast<size_t>(group * cols));
              for (int64_t r = 0; r < rows; r += group) {
                for (int64_t i = 0; i < group; ++i)
                  if (!unpackRow(r + i, values.data() + i * cols))
                    return false;
                if (!rt::packTernary(layout, values.data(), group, cols,
                                     dst + r * rowBytes))
                  return false;
              }
              return true;
            });
  auto type = WeightsType::get(
      &ctx_, t.rows, t.cols,
      LayoutAttr::get(&ctx_, fromRuntimeKind(layout.kind), layout.block));
  return WeightOp::create(b_, loc_, type, blob_, t.name,
                          static_cast<int64_t>(off));
}

Value Importer::embedding(const rt::DenseTensor &t) {
  Type et = t.type == rt::DenseType::F32   ? Type(b_.getF32Type())
            : t.type == rt::DenseType::F16 ? Type(b_.getF16Type())
                                           : Type(b_.getBF16Type());
  const uint64_t bytes = static_cast<uint64_t>(t.rows * t.cols) *
                         (t.type == rt::DenseType::F32 ? 4 : 2);
  auto model = model_;
  const void *data = t.data;
  const uint64_t off = place(t.name, bytes, [model, data, bytes](uint8_t *d) {
    std::memcpy(d, data, bytes);
    return true;
  });
  return viewOf(off, MemRefType::get({t.rows, t.cols}, et));
}

Value Importer::laneTree(Value acc) {
  auto lane = [&](int64_t i) -> Value {
    return vector::ExtractOp::create(b_, loc_, acc, ArrayRef<int64_t>{i});
  };
  auto add = [&](Value a, Value b) -> Value {
    return arith::AddFOp::create(b_, loc_, a, b);
  };
  return add(add(add(lane(0), lane(4)), add(lane(2), lane(6))),
             add(add(lane(1), lane(5)), add(lane(3), lane(7))));
}

void Importer::rmsNorm(Value x, Value w, int64_t n, Value out) {
  Type f64 = b_.getF64Type();
  forRows([&](Value r) {
    // Sum of squares in f64, 8 interleaved partial sums (rmsNormRow).
    Value parts =
        reduce(idx(0), idx(n), kLanes, vzero(f64), [&](Value i, Value acc) {
          Value d = arith::ExtFOp::create(b_, loc_, vec(f64),
                                          vload(x, ValueRange{r, i}));
          return arith::AddFOp::create(b_, loc_, acc,
                                       arith::MulFOp::create(b_, loc_, d, d));
        });
    Value sum = laneTree(parts);
    Value mean64 = arith::DivFOp::create(b_, loc_, sum, f64c(double(n)));
    Value mean = arith::TruncFOp::create(b_, loc_, b_.getF32Type(), mean64);
    Value denom = math::SqrtOp::create(
        b_, loc_, arith::AddFOp::create(b_, loc_, mean, f32c(c_.rmsNormEps)));
    Value rs = vsplat(arith::DivFOp::create(b_, loc_, f32c(1.0f), denom));
    forEachVec(n, [&](Value i) {
      Value y = arith::MulFOp::create(
          b_, loc_, arith::MulFOp::create(b_, loc_, vload(x, {r, i}), rs),
          vload(w, {i}));
      vstore(y, out, {r, i});
    });
  });
}

Value Importer::dot(int64_t n, const std::function<Value(Value)> &loadA,
                    const std::function<Value(Value)> &loadB) {
  Value acc = reduce(idx(0), idx(n), kLanes, vzero(b_.getF32Type()), [&](Value k, Value a) {
    Value prod = arith::MulFOp::create(b_, loc_, loadA(k), loadB(k));
    return arith::AddFOp::create(b_, loc_, a, prod);
  });
  return laneTree(acc); // as dotF32
}

Value Importer::headDot(
    int64_t n, const std::function<Value(Value, int64_t)> &loadX,
    const std::function<Value(Value, int64_t)> &loadW) {
  if (n % 32 != 0)
    return dot(
        n, [&](Value k) { return loadX(k, kLanes); },
        [&](Value k) { return loadW(k, kLanes); });
  Type f32 = b_.getF32Type();
  auto v32 = VectorType::get({32}, f32);
  Value zero = arith::ConstantOp::create(
      b_, loc_, DenseElementsAttr::get(v32, b_.getFloatAttr(f32, 0.0)));
  Value acc = reduce(idx(0), idx(n), 32, zero, [&](Value k, Value a) {
    Value prod = arith::MulFOp::create(b_, loc_, loadX(k, 32), loadW(k, 32));
    return arith::AddFOp::create(b_, loc_, a, prod);
  });
  // Fold 32 lanes to 8: (p[l] + p[l+16]) + (p[l+8] + p[l+24]).
  auto part = [&](int64_t off) -> Value {
    SmallVector<int64_t> lanes;
    for (int64_t l = 0; l < kLanes; ++l)
      lanes.push_back(off + l);
    return vector::ShuffleOp::create(b_, loc_, acc, acc, lanes);
  };
  auto add = [&](Value a, Value c) -> Value {
    return arith::AddFOp::create(b_, loc_, a, c);
  };
  return laneTree(add(add(part(0), part(16)), add(part(8), part(24))));
}

SmallVector<Value> Importer::headWeights(const rt::DenseTensor &t) {
  const rt::HeadFormat f = opts_.head;
  if (f == rt::HeadFormat::Native)
    return {embedding(t)};
  // One blob entry: codes [rows, code bytes] then f32 scales [rows, n].
  const int64_t cb = rt::headCodeBytesPerRow(f, t.cols);
  const int64_t sc = rt::headScalesPerRow(f, t.cols);
  const uint64_t codeBytes = static_cast<uint64_t>(t.rows * cb);
  const uint64_t bytes = codeBytes + static_cast<uint64_t>(t.rows * sc) * 4;
  auto model = model_;
  rt::DenseTensor dense = t;
  const uint64_t off = place(
      t.name + "." + rt::headFormatName(f), bytes,
      [model, dense, f, cb, sc, codeBytes](uint8_t *d) {
        std::vector<float> row(static_cast<size_t>(dense.cols));
        auto *scales = reinterpret_cast<float *>(d + codeBytes);
        for (int64_t v = 0; v < dense.rows; ++v) {
          if (!rt::denseRowToFloat(dense, v, row.data()))
            return false;
          rt::quantizeHeadRow(f, row.data(), dense.cols, d + v * cb,
                              scales + v * sc);
        }
        return true;
      });
  return {viewOf(off, MemRefType::get({t.rows, cb}, b_.getI8Type())),
          viewOf(off + codeBytes,
                 MemRefType::get({t.rows, sc}, b_.getF32Type()))};
}

void Importer::buildHeadFn(const std::string &name, bool decode,
                           ArrayRef<Value> weights, MemRefType logitsType) {
  const int64_t H = c_.hiddenSize;
  const rt::HeadFormat f = opts_.head;
  Type f32 = b_.getF32Type(), i8 = b_.getI8Type();
  auto fromType = MemRefType::get({1}, b_.getIndexType());
  SmallVector<Type> inputs = {row(H)};
  for (Value w : weights)
    inputs.push_back(w.getType());
  inputs.push_back(logitsType);
  if (!decode)
    inputs.push_back(fromType);
  inputs.append({b_.getIndexType(), b_.getIndexType()});
  OpBuilder::InsertionGuard guard(b_);
  b_.setInsertionPointToEnd(out_.module->getBody());
  auto hf = func::FuncOp::create(b_, loc_, name,
                                 b_.getFunctionType(inputs, {}));
  hf.setPrivate();
  Block *body = hf.addEntryBlock();
  b_.setInsertionPointToStart(body);
  const unsigned nArgs = body->getNumArguments();
  const unsigned nw = weights.size();
  Value hx = body->getArgument(0), hw = body->getArgument(1),
        hs = nw > 1 ? body->getArgument(2) : Value(),
        hl = body->getArgument(1 + nw);
  Value firstRow =
      decode ? idx(0)
             : Value(memref::LoadOp::create(b_, loc_, body->getArgument(2 + nw),
                                            ValueRange{idx(0)}));
  auto vt = [&](int64_t w, Type e) { return VectorType::get({w}, e); };
  auto splat = [&](Value s, int64_t w) -> Value {
    return vector::BroadcastOp::create(b_, loc_, vt(w, s.getType()), s);
  };
  forEach(body->getArgument(nArgs - 2), body->getArgument(nArgs - 1), 1,
          [&](Value v) {
    forEach(firstRow, idx(rows_), 1, [&](Value r) {
      auto loadX = [&](Value k, int64_t w) -> Value {
        return vector::LoadOp::create(b_, loc_, vt(w, f32), hx,
                                      ValueRange{r, k});
      };
      auto loadW = [&](Value k, int64_t w) -> Value {
        if (f == rt::HeadFormat::Native) {
          Type et = cast<MemRefType>(hw.getType()).getElementType();
          Value e = vector::LoadOp::create(b_, loc_, vt(w, et), hw,
                                           ValueRange{v, k});
          return et.isF32() ? e
                            : Value(arith::ExtFOp::create(b_, loc_,
                                                          vt(w, f32), e));
        }
        if (f == rt::HeadFormat::Int8) {
          Value q = vector::LoadOp::create(b_, loc_, vt(w, i8), hw,
                                           ValueRange{v, k});
          return arith::SIToFPOp::create(b_, loc_, vt(w, f32), q);
        }
        // q4 (w == 32 == the group): 16 bytes, low nibbles are codes
        // 0..15 of the group, high nibbles codes 16..31; code - 8.
        Value half = arith::DivUIOp::create(b_, loc_, k, idx(2));
        Value bytes = vector::LoadOp::create(b_, loc_, vt(16, i8), hw,
                                             ValueRange{v, half});
        auto c8 = [&](int64_t c) -> Value {
          return arith::ConstantOp::create(
              b_, loc_, DenseElementsAttr::get(vt(16, i8),
                                               b_.getIntegerAttr(i8, c)));
        };
        Value lo = arith::AndIOp::create(b_, loc_, bytes, c8(15));
        Value hi = arith::ShRUIOp::create(b_, loc_, bytes, c8(4));
        SmallVector<int64_t> mask;
        for (int64_t i = 0; i < 32; ++i)
          mask.push_back(i);
        Value codes = vector::ShuffleOp::create(b_, loc_, lo, hi, mask);
        auto c8x32 = arith::ConstantOp::create(
            b_, loc_, DenseElementsAttr::get(vt(32, i8),
                                             b_.getIntegerAttr(i8, 8)));
        Value q = arith::SubIOp::create(b_, loc_, codes, c8x32);
        Value fq = arith::SIToFPOp::create(b_, loc_, vt(32, f32), q);
        Value g = arith::DivUIOp::create(b_, loc_, k, idx(rt::kHeadQ4Group));
        Value s = memref::LoadOp::create(b_, loc_, hs, ValueRange{v, g});
        return arith::MulFOp::create(b_, loc_, fq, splat(s, 32));
      };
      Value d = headDot(H, loadX, loadW);
      if (f == rt::HeadFormat::Int8)
        d = arith::MulFOp::create(
            b_, loc_, d,
            memref::LoadOp::create(b_, loc_, hs, ValueRange{v, idx(0)}));
      if (decode)
        memref::StoreOp::create(b_, loc_, d, hl, ValueRange{v});
      else
        memref::StoreOp::create(b_, loc_, d, hl, ValueRange{r, v});
    });
  });
  func::ReturnOp::create(b_, loc_);
}

void Importer::bitLinear(Value in, int64_t k, const MatmulWeight &w,
                         ArrayRef<Value> outs) {
  Type f32 = b_.getF32Type();
  auto inType = RankedTensorType::get({rows_, k}, f32);
  Value x = bufferization::ToTensorOp::create(b_, loc_, inType, in,
                                              /*restrict=*/true,
                                              /*writable=*/false);
  const rt::PackedLayout layout = layoutFor(w);
  DictionaryAttr config;
  if (opts_.kernelConfig)
    config = opts_.kernelConfig(rows_, w.rows, w.cols, layout);
  auto store = [&](Value y, Value out) {
    auto mat = bufferization::MaterializeInDestinationOp::create(b_, loc_, y,
                                                                 out);
    mat.setRestrict(true);
    mat.setWritable(true);
  };
  Value weights = ternaryWeights(w, layout);
  if (w.parts.size() == 1) {
    auto outType = RankedTensorType::get({rows_, w.rows}, f32);
    auto y = BitLinearOp::create(b_, loc_, outType, x, weights,
                                 f32c(w.parts[0]->scale));
    if (config)
      y->setAttr("tern.kernel_config", config);
    store(y, outs[0]);
    return;
  }
  // Stacked weights: quantize the input once, one matmul, then each part's
  // columns rescaled by its own weight scale (tern.bitlinear decomposed;
  // the same values as one tern.bitlinear per part).
  auto quant = QuantizeActOp::create(
      b_, loc_, RankedTensorType::get({rows_, k}, b_.getI8Type()),
      RankedTensorType::get({rows_}, f32), x);
  auto acc = MatmulOp::create(
      b_, loc_, RankedTensorType::get({rows_, w.rows}, b_.getI32Type()),
      quant.getOutput(), weights);
  if (config)
    acc->setAttr("tern.kernel_config", config);
  int64_t col = 0;
  for (size_t i = 0; i < w.parts.size(); ++i) {
    const int64_t n = w.parts[i]->rows;
    Value part = tensor::ExtractSliceOp::create(
        b_, loc_, acc, ArrayRef<OpFoldResult>{b_.getIndexAttr(0),
                                              b_.getIndexAttr(col)},
        ArrayRef<OpFoldResult>{b_.getIndexAttr(rows_), b_.getIndexAttr(n)},
        ArrayRef<OpFoldResult>{b_.getIndexAttr(1), b_.getIndexAttr(1)});
    Value y = RescaleOp::create(b_, loc_, RankedTensorType::get({rows_, n}, f32),
                                part, quant.getScale(),
                                f32c(w.parts[i]->scale));
    store(y, outs[i]);
    col += n;
  }
}

void Importer::ropeTables() {
  const int64_t hd = c_.headDim, half = hd / 2;
  forRows([&](Value r) {
    Value pos = arith::AddIOp::create(b_, loc_, pos_, r);
    Value posF64 = arith::SIToFPOp::create(
        b_, loc_, b_.getF64Type(),
        arith::IndexCastOp::create(b_, loc_, b_.getI64Type(), pos));
    forEach(0, half, [&](Value i) {
      // inv_freq = theta^(-2i/d), in f64 as the reference computes it.
      Value iF64 = arith::SIToFPOp::create(
          b_, loc_, b_.getF64Type(),
          arith::IndexCastOp::create(b_, loc_, b_.getI64Type(), i));
      Value expo = arith::DivFOp::create(
          b_, loc_, arith::MulFOp::create(b_, loc_, f64c(-2.0), iF64),
          f64c(static_cast<double>(hd)));
      Value invFreq = math::PowFOp::create(
          b_, loc_, f64c(static_cast<double>(c_.ropeTheta)), expo);
      Value angle = arith::MulFOp::create(b_, loc_, posF64, invFreq);
      Value cs = arith::TruncFOp::create(b_, loc_, b_.getF32Type(),
                                         math::CosOp::create(b_, loc_, angle));
      Value sn = arith::TruncFOp::create(b_, loc_, b_.getF32Type(),
                                         math::SinOp::create(b_, loc_, angle));
      memref::StoreOp::create(b_, loc_, cs, ropeCos_, ValueRange{r, i});
      memref::StoreOp::create(b_, loc_, sn, ropeSin_, ValueRange{r, i});
    });
  });
}

void Importer::rope(Value buf, int64_t heads) {
  const int64_t hd = c_.headDim, half = hd / 2;
  forRows([&](Value r) {
    forEach(0, heads, [&](Value h) {
      Value base = arith::MulIOp::create(b_, loc_, h, idx(hd));
      forEachVec(half, [&](Value i) {
        Value i0 = arith::AddIOp::create(b_, loc_, base, i);
        Value i1 = arith::AddIOp::create(b_, loc_, i0, idx(half));
        Value a = vload(buf, {r, i0}), bb = vload(buf, {r, i1});
        Value cs = vload(ropeCos_, {r, i}), sn = vload(ropeSin_, {r, i});
        Value y0 = arith::SubFOp::create(
            b_, loc_, arith::MulFOp::create(b_, loc_, a, cs),
            arith::MulFOp::create(b_, loc_, bb, sn));
        Value y1 = arith::AddFOp::create(
            b_, loc_, arith::MulFOp::create(b_, loc_, bb, cs),
            arith::MulFOp::create(b_, loc_, a, sn));
        vstore(y0, buf, {r, i0});
        vstore(y1, buf, {r, i1});
      });
    });
  });
}

std::string Importer::attentionFn() {
  const std::string name = entryName_ + "_attention";
  if (out_.module->lookupSymbol(name))
    return name;
  const int64_t hd = c_.headDim, QD = c_.numHeads * hd;
  const int64_t group = c_.numHeads / c_.numKvHeads;
  const int64_t C = out_.contextSize;
  Type f32 = b_.getF32Type();
  auto cacheType = cast<MemRefType>(kCache_.getType());
  auto argsType = MemRefType::get({2}, b_.getIndexType());
  OpBuilder::InsertionGuard guard(b_);
  b_.setInsertionPointToEnd(out_.module->getBody());
  // (q [rows, QD], k cache, v cache, att [rows, QD], {pos, layer},
  //  begin, end): pairs t in [begin, end) are row t / heads, head t % heads.
  auto fn = func::FuncOp::create(
      b_, loc_, name,
      b_.getFunctionType({row(QD), cacheType, cacheType, row(QD), argsType,
                          b_.getIndexType(), b_.getIndexType()},
                         {}));
  fn.setPrivate();
  Block *body = fn.addEntryBlock();
  b_.setInsertionPointToStart(body);
  // The layer's values, rebound to the arguments while the body is built.
  const Value saved[] = {q_, kCache_, vCache_, att_, scores_, pos_};
  q_ = body->getArgument(0), kCache_ = body->getArgument(1);
  vCache_ = body->getArgument(2), att_ = body->getArgument(3);
  pos_ = memref::LoadOp::create(b_, loc_, body->getArgument(4),
                                ValueRange{idx(0)});
  Value L = memref::LoadOp::create(b_, loc_, body->getArgument(4),
                                   ValueRange{idx(1)});
  scores_ = memref::AllocaOp::create(b_, loc_, MemRefType::get({1, C}, f32));
  Value c0 = idx(0);
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  forEach(body->getArgument(5), body->getArgument(6), 1, [&](Value t) {
    Value r = arith::DivUIOp::create(b_, loc_, t, idx(c_.numHeads));
    Value h = arith::RemUIOp::create(b_, loc_, t, idx(c_.numHeads));
    // Row r attends to positions [0, pos + r].
    Value len = arith::AddIOp::create(
        b_, loc_, arith::AddIOp::create(b_, loc_, pos_, r), idx(1));
    {
      Value qBase = arith::MulIOp::create(b_, loc_, h, idx(hd));
      Value kvBase = arith::MulIOp::create(
          b_, loc_, arith::DivUIOp::create(b_, loc_, h, idx(group)), idx(hd));
      Value maxScore =
          reduce(idx(0), len, 1, f32c(-INFINITY), [&](Value j, Value mx) {
            Value d = dot(
                hd,
                [&](Value k) {
                  return vload(q_,
                               {r, arith::AddIOp::create(b_, loc_, qBase, k)});
                },
                [&](Value k) {
                  return vload(kCache_,
                               {L, j,
                                arith::AddIOp::create(b_, loc_, kvBase, k)});
                });
            Value s = arith::MulFOp::create(b_, loc_, d, f32c(scale));
            memref::StoreOp::create(b_, loc_, s, scores_, ValueRange{c0, j});
            return arith::MaxNumFOp::create(b_, loc_, mx, s);
          });
      Value sum = reduce(idx(0), len, 1, f32c(0.0f), [&](Value j, Value acc) {
        Value s = memref::LoadOp::create(b_, loc_, scores_, ValueRange{c0, j});
        Value e = math::ExpOp::create(
            b_, loc_, arith::SubFOp::create(b_, loc_, s, maxScore));
        memref::StoreOp::create(b_, loc_, e, scores_, ValueRange{c0, j});
        return arith::AddFOp::create(b_, loc_, acc, e);
      });
      // The weights w_j = e_j / sum, then per 8 lanes of the head the
      // weighted sum of V rows in order of position (each lane as the
      // reference's out[d] += w_j * v_j[d]).
      forEach(idx(0), len, 1, [&](Value j) {
        Value s = memref::LoadOp::create(b_, loc_, scores_, ValueRange{c0, j});
        memref::StoreOp::create(b_, loc_,
                                arith::DivFOp::create(b_, loc_, s, sum),
                                scores_, ValueRange{c0, j});
      });
      Value zero = vzero(f32);
      forEachVec(hd, [&](Value d) {
        Value kvd = arith::AddIOp::create(b_, loc_, kvBase, d);
        Value out = reduce(idx(0), len, 1, zero, [&](Value j, Value acc) {
          Value wj = vsplat(
              memref::LoadOp::create(b_, loc_, scores_, ValueRange{c0, j}));
          return arith::AddFOp::create(
              b_, loc_, acc,
              arith::MulFOp::create(b_, loc_, wj,
                                    vload(vCache_, {L, j, kvd})));
        });
        vstore(out, att_, {r, arith::AddIOp::create(b_, loc_, qBase, d)});
      });
    }
  });
  func::ReturnOp::create(b_, loc_);
  q_ = saved[0], kCache_ = saved[1], vCache_ = saved[2], att_ = saved[3];
  scores_ = saved[4], pos_ = saved[5];
  return name;
}

void Importer::layer(int64_t l, const rt::LayerWeights &w) {
  const int64_t H = c_.hiddenSize, hd = c_.headDim, I = c_.intermediateSize;
  const int64_t QD = c_.numHeads * hd, KV = c_.numKvHeads * hd;
  Value L = idx(l);

  // Attention.
  // The layer's matmuls (layerMatmuls: q/k/v and gate/up fused or not)
  // and the buffer each BitLinear weight's output goes to.
  const std::vector<MatmulWeight> mms =
      layerMatmuls(w, opts_.fuseProjections);
  const std::pair<const rt::TernaryTensor *, Value> dest[] = {
      {&w.attnQ, q_},     {&w.attnK, k_},     {&w.attnV, v_},
      {&w.attnOutput, proj_}, {&w.ffnGate, gate_}, {&w.ffnUp, up_},
      {&w.ffnDown, proj_}};
  // The matmuls whose first part is one of `first`, reading `in` (k wide).
  auto project = [&](Value in, int64_t k,
                     std::initializer_list<const rt::TernaryTensor *> first) {
    for (const MatmulWeight &mw : mms) {
      if (!llvm::is_contained(first, mw.parts.front()))
        continue;
      SmallVector<Value> outs;
      for (const rt::TernaryTensor *p : mw.parts)
        for (const auto &[t, buf] : dest)
          if (t == p)
            outs.push_back(buf);
      bitLinear(in, k, mw, outs);
    }
  };

  rmsNorm(x_, normWeights(w.attnNorm), H, xn_);
  project(xn_, H, {&w.attnQ, &w.attnK, &w.attnV});
  ropeTables();
  rope(q_, c_.numHeads);
  rope(k_, c_.numKvHeads);
  forRows([&](Value r) {
    Value p = arith::AddIOp::create(b_, loc_, pos_, r);
    forEachVec(KV, [&](Value d) {
      vstore(vload(k_, {r, d}), kCache_, {L, p, d});
      vstore(vload(v_, {r, d}), vCache_, {L, p, d});
    });
  });
  // Attention over (row, head) pairs, split among the runtime's threads.
  {
    auto argsType = MemRefType::get({2}, b_.getIndexType());
    Value args = memref::AllocaOp::create(b_, loc_, argsType);
    memref::StoreOp::create(b_, loc_, pos_, args, ValueRange{idx(0)});
    memref::StoreOp::create(b_, loc_, L, args, ValueRange{idx(1)});
    auto call = func::CallOp::create(
        b_, loc_, attentionFn(), TypeRange{},
        ValueRange{q_, kCache_, vCache_, att_, args, idx(0),
                   idx(rows_ * c_.numHeads)});
    call->setAttr("tern.parallel", b_.getUnitAttr());
  }
  rmsNorm(att_, normWeights(w.attnSubNorm), QD, att_);
  project(att_, QD, {&w.attnOutput});
  auto residual = [&]() {
    forRows([&](Value r) {
      forEachVec(H, [&](Value i) {
        vstore(arith::AddFOp::create(b_, loc_, vload(x_, {r, i}),
                                     vload(proj_, {r, i})),
               x_, {r, i});
      });
    });
  };
  residual();

  // MLP.
  rmsNorm(x_, normWeights(w.ffnNorm), H, xn_);
  project(xn_, H, {&w.ffnGate, &w.ffnUp});
  Value zeros = vsplat(f32c(0.0f));
  forRows([&](Value r) {
    forEachVec(I, [&](Value i) {
      Value rl = arith::MaxNumFOp::create(b_, loc_, vload(gate_, {r, i}),
                                          zeros);
      Value y = arith::MulFOp::create(
          b_, loc_, arith::MulFOp::create(b_, loc_, rl, rl),
          vload(up_, {r, i}));
      vstore(y, gate_, {r, i});
    });
  });
  rmsNorm(gate_, normWeights(w.ffnSubNorm), I, gate_);
  project(gate_, I, {&w.ffnDown});
  residual();
}

void Importer::buildEntry(const std::string &name, int64_t rows) {
  rows_ = rows;
  entryName_ = name;
  const bool decode = rows == 0;
  if (decode)
    rows_ = 1;
  const int64_t H = c_.hiddenSize, V = c_.vocabSize, hd = c_.headDim;
  const int64_t QD = c_.numHeads * hd, KV = c_.numKvHeads * hd;
  const int64_t C = out_.contextSize;
  Type i8 = b_.getI8Type(), f32 = b_.getF32Type(), i64 = b_.getI64Type();
  auto blobType = MemRefType::get({ShapedType::kDynamic}, i8);
  auto cacheType = MemRefType::get({c_.numLayers, C, KV}, f32);
  // decode: (blob, k, v, pos, token: index, logits: [V]);
  // prefill: (blob, k, v, pos, tokens: [rows] i64, logits: [rows, V]).
  Type tokensType =
      decode ? Type(b_.getIndexType()) : Type(MemRefType::get({rows_}, i64));
  auto logitsType = decode ? MemRefType::get({V}, f32)
                           : MemRefType::get({rows_, V}, f32);
  SmallVector<Type> inputs = {blobType,           cacheType, cacheType,
                               b_.getIndexType(),  tokensType, logitsType};
  if (!decode)
    inputs.push_back(b_.getIndexType()); // logits_from
  auto fnType = b_.getFunctionType(inputs, {});
  OpBuilder::InsertionGuard outer(b_);
  b_.setInsertionPointToEnd(out_.module->getBody());
  auto fn = func::FuncOp::create(b_, loc_, name, fnType);
  fn->setAttr("llvm.emit_c_interface", b_.getUnitAttr());
  Block *entry = fn.addEntryBlock();
  b_.setInsertionPointToStart(entry);
  blob_ = entry->getArgument(0);
  kCache_ = entry->getArgument(1);
  vCache_ = entry->getArgument(2);
  pos_ = entry->getArgument(3);
  Value tokens = entry->getArgument(4);
  logits_ = entry->getArgument(5);
  blobArgs_.push_back(blob_);
  funcs_.push_back(fn);
  x_ = alloca(H);
  xn_ = alloca(H);

  // Embedding lookup.
  Value emb = embedding(m_.tokenEmbedding);
  forRows([&](Value r) {
    Value tok = decode ? tokens
                       : Value(arith::IndexCastOp::create(
                             b_, loc_, b_.getIndexType(),
                             memref::LoadOp::create(b_, loc_, tokens,
                                                    ValueRange{r})));
    forEachVec(H, [&](Value i) {
      Value e = vload(emb, {tok, i});
      if (!getElementTypeOrSelf(e.getType()).isF32())
        e = arith::ExtFOp::create(b_, loc_, vec(f32), e);
      vstore(e, x_, {r, i});
    });
  });

  // One function per layer (its weights and shapes baked in; kept out of
  // line so that LLVM optimizes 30 medium functions rather than one huge
  // one), called in order.
  auto layerType = b_.getFunctionType(
      {blobType, cacheType, cacheType, b_.getIndexType(), row(H)}, {});
  const Value outerBlob = blob_, outerK = kCache_, outerV = vCache_,
              outerPos = pos_, outerX = x_, outerXn = xn_;
  for (int64_t l = 0; l < c_.numLayers; ++l) {
    const std::string layerName = name + "_layer_" + std::to_string(l);
    {
      OpBuilder::InsertionGuard guard(b_);
      b_.setInsertionPointToEnd(out_.module->getBody());
      auto lf = func::FuncOp::create(b_, loc_, layerName, layerType);
      lf.setPrivate();
      lf->setAttr("passthrough",
                  b_.getArrayAttr({b_.getStringAttr("noinline")}));
      Block *body = lf.addEntryBlock();
      b_.setInsertionPointToStart(body);
      blob_ = body->getArgument(0);
      kCache_ = body->getArgument(1);
      vCache_ = body->getArgument(2);
      pos_ = body->getArgument(3);
      x_ = body->getArgument(4);
      xn_ = alloca(H);
      q_ = alloca(QD);
      k_ = alloca(KV);
      v_ = alloca(KV);
      att_ = alloca(QD);
      proj_ = alloca(H);
      gate_ = alloca(c_.intermediateSize);
      up_ = alloca(c_.intermediateSize);
      ropeCos_ = alloca(hd / 2);
      ropeSin_ = alloca(hd / 2);
      layer(l, m_.layers[static_cast<size_t>(l)]);
      func::ReturnOp::create(b_, loc_);
      blobArgs_.push_back(blob_);
      funcs_.push_back(lf);
    }
    func::CallOp::create(b_, loc_, layerName, TypeRange{},
                         ValueRange{outerBlob, outerK, outerV, outerPos,
                                    outerX});
  }
  blob_ = outerBlob, kCache_ = outerK, vCache_ = outerV, pos_ = outerPos;
  x_ = outerX, xn_ = outerXn;

  // Final norm and the head (tied unless the model has an output matrix).
  rmsNorm(x_, normWeights(m_.outputNorm), H, xn_);
  SmallVector<Value> head = headWeights(m_.output ? *m_.output : m_.tokenEmbedding);
  // The head computes vocabulary rows [begin, end) for every token row
  // (prefill: the rows from logits_from on, passed in a memref<1xindex> so
  // that the call stays a tern.parallel call on memrefs): split among the
  // runtime's threads when compiled for them.
  const std::string headName = name + "_head";
  auto fromType = MemRefType::get({1}, b_.getIndexType());
  buildHeadFn(headName, decode, head, logitsType);
  if (decode) {
    auto headCall = func::CallOp::create(
        b_, loc_, headName, TypeRange{},
        llvm::to_vector(llvm::concat<Value>(
            ValueRange{xn_}, ValueRange(head),
            ValueRange{logits_, idx(0), idx(V)})));
    headCall->setAttr("tern.parallel", b_.getUnitAttr());
  } else {
    // No call at all when no row's logits are wanted.
    Value from = entry->getArgument(6);
    Value any = arith::CmpIOp::create(b_, loc_, arith::CmpIPredicate::ult,
                                      from, idx(rows_));
    auto ifOp = scf::IfOp::create(b_, loc_, any, /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b_);
    b_.setInsertionPointToStart(ifOp.thenBlock());
    Value fromBuf = memref::AllocaOp::create(b_, loc_, fromType);
    memref::StoreOp::create(b_, loc_, from, fromBuf, ValueRange{idx(0)});
    auto headCall = func::CallOp::create(
        b_, loc_, headName, TypeRange{},
        llvm::to_vector(llvm::concat<Value>(
            ValueRange{xn_}, ValueRange(head),
            ValueRange{logits_, fromBuf, idx(0), idx(V)})));
    headCall->setAttr("tern.parallel", b_.getUnitAttr());
  }
  func::ReturnOp::create(b_, loc_);
}

llvm::Expected<ImportedModel> Importer::run() {
  if (llvm::Error e = check())
    return e;
  block_ = pickBlock();
  out_.contextSize = opts_.contextSize ? opts_.contextSize : c_.maxPositions;
  out_.prefillRows = std::min<int64_t>(
      opts_.prefillRows >= 0 ? opts_.prefillRows : 32, out_.contextSize);

  // The blob size is known only after all weights are placed: entry points
  // are built against a dynamic-size placeholder argument, then typed.
  out_.module = ModuleOp::create(loc_);
  buildEntry("tern_decode", 0);
  if (out_.prefillRows > 1)
    buildEntry("tern_prefill", out_.prefillRows);

  out_.blobSize = (out_.blobSize + 63) / 64 * 64;
  // A decoded token looks up one embedding row; it reads the whole matrix
  // only when that matrix is also the (native, tied) head.
  const rt::DenseTensor &e = m_.tokenEmbedding;
  const uint64_t embBytes = static_cast<uint64_t>(e.rows * e.cols) *
                            (e.type == rt::DenseType::F32 ? 4 : 2);
  out_.bytesPerToken =
      out_.blobSize -
      (opts_.head == rt::HeadFormat::Native && !m_.output ? 0 : embBytes);
  auto staticBlob =
      MemRefType::get({static_cast<int64_t>(out_.blobSize)}, b_.getI8Type());
  for (Value arg : blobArgs_)
    arg.setType(staticBlob);
  for (func::FuncOp f : funcs_) {
    SmallVector<Type> inputs(f.getFunctionType().getInputs());
    inputs[0] = staticBlob;
    f.setFunctionType(b_.getFunctionType(inputs, {}));
  }

  // Model facts for tools and diagnostics.
  out_.module->getOperation()->setAttr(
      "tern.model",
      b_.getDictionaryAttr(
          {b_.getNamedAttr("source", b_.getStringAttr(m_.sourcePath)),
           b_.getNamedAttr("layers", b_.getI64IntegerAttr(c_.numLayers)),
           b_.getNamedAttr("hidden", b_.getI64IntegerAttr(c_.hiddenSize)),
           b_.getNamedAttr("vocab", b_.getI64IntegerAttr(c_.vocabSize)),
           b_.getNamedAttr("context", b_.getI64IntegerAttr(out_.contextSize)),
           b_.getNamedAttr("prefill_rows",
                           b_.getI64IntegerAttr(out_.prefillRows)),
           b_.getNamedAttr("head",
                           b_.getStringAttr(rt::headFormatName(opts_.head))),
           b_.getNamedAttr("weights_bytes",
                           b_.getI64IntegerAttr(
                               static_cast<int64_t>(out_.blobSize)))}));
  return std::move(out_);
}

} // namespace

llvm::Expected<ImportedModel>
mlir::tern::importModel(MLIRContext &context,
                        std::shared_ptr<const rt::ModelDescription> model,
                        const ImportOptions &options) {
  Importer importer(context, std::move(model), options);
  return importer.run();
}
