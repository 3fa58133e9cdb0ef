//===- ModelImporter.cpp - A loaded model as a graph of tern ops ----------===//

#include "compiler/Import/ModelImporter.h"

#include "compiler/Import/WeightBlob.h"
#include "dialects/Tern/IR/TernOps.h"
#include "runtime/compiled/tern_abi.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::tern;
namespace rt = ::tern;

namespace {

/// The values a function of an entry point computes with.
struct Scope {
  Value blob, kCache, vCache, pos;
  int64_t rows; ///< token rows
  /// Batched decode: memref<rows x i64> of each row's slot and position
  /// (then kCache/vCache hold every slot and pos is null).
  Value slots = {}, positions = {};
  bool batch() const { return static_cast<bool>(slots); }
};

class GraphBuilder {
public:
  GraphBuilder(MLIRContext &ctx, const rt::ModelDescription &m,
               const ImportOptions &o, int64_t context)
      : b_(&ctx), loc_(NameLoc::get(b_.getStringAttr(m.sourcePath))), m_(m),
        c_(m.config), opts_(o), context_(context) {}

  /// The module with the decode entry point and, for prefill > 1 rows, the
  /// prefill entry point.
  OwningOpRef<ModuleOp> build(int64_t prefillRows, int64_t batchRows);

private:
  // Types.
  RankedTensorType act(int64_t rows, int64_t n) {
    return RankedTensorType::get({rows, n}, b_.getF32Type());
  }
  MemRefType blobType() {
    return MemRefType::get({ShapedType::kDynamic}, b_.getI8Type());
  }
  MemRefType cacheType() {
    return MemRefType::get(
        {c_.numLayers, context_, c_.numKvHeads * c_.headDim}, b_.getF32Type());
  }
  /// Every slot's caches, for the batched entry points (at most
  /// TERN_ABI_MAX_SLOTS; the runtime allocates the slots it uses).
  MemRefType slotCacheType() {
    return MemRefType::get({TERN_ABI_MAX_SLOTS, c_.numLayers, context_,
                            c_.numKvHeads * c_.headDim},
                           b_.getF32Type());
  }
  MemRefType rowIdsType(int64_t rows) {
    return MemRefType::get({rows}, b_.getI64Type());
  }
  Value rowIds(const Scope &s, Value buf) {
    return bufferization::ToTensorOp::create(
        b_, loc_, RankedTensorType::get({s.rows}, b_.getI64Type()), buf,
        /*restrict=*/true, /*writable=*/false);
  }

  // Parameters, by name.
  Value param(const Scope &s, const std::string &name, Type type) {
    return WeightOp::create(b_, loc_, type, s.blob, b_.getStringAttr(name),
                            IntegerAttr());
  }
  Value norm(const Scope &s, const rt::FloatTensor &t) {
    return param(s, t.name, RankedTensorType::get({t.size}, b_.getF32Type()));
  }
  Value dense(const Scope &s, const rt::DenseTensor &t) {
    return param(s, t.name,
                 RankedTensorType::get({t.rows, t.cols}, denseType(t.type)));
  }
  Type denseType(rt::DenseType t) {
    return t == rt::DenseType::F32   ? Type(b_.getF32Type())
           : t == rt::DenseType::F16 ? Type(b_.getF16Type())
                                     : Type(b_.getBF16Type());
  }

  // Steps of the network.
  Value rmsNorm(const Scope &s, Value x, const rt::FloatTensor &w) {
    return RmsNormOp::create(b_, loc_, x.getType(), x, norm(s, w),
                             b_.getF32FloatAttr(c_.rmsNormEps));
  }
  Value bitLinear(const Scope &s, Value x, const rt::TernaryTensor &w) {
    Value weights = param(s, w.name, WeightsType::get(b_.getContext(), w.rows,
                                                      w.cols));
    Value scale =
        arith::ConstantOp::create(b_, loc_, b_.getF32FloatAttr(w.scale));
    return BitLinearOp::create(b_, loc_, act(s.rows, w.rows), x, weights,
                               scale, KernelAttr());
  }
  Value add(Value x, Value y) { return arith::AddFOp::create(b_, loc_, x, y); }
  /// RoPE's cosines and sines of the rows' positions: once per entry point,
  /// passed to every layer.
  std::pair<Value, Value> ropeTables(const Scope &s);
  void layer(const Scope &s, Value xBuf, Value cos, Value sin, int64_t l);
  /// Tokens as tensor<R x i64>.
  Value tokens(const Scope &s, Value arg);
  void head(const Scope &s, Value xn, Value embedding, Value logits,
            Value firstRow);
  /// Defines `name` with the arguments every function of an entry point
  /// takes (blob, caches, position) plus `extra`, its body empty.
  func::FuncOp function(const std::string &name, ArrayRef<Type> extra,
                        int64_t batchRows = 0);
  void entry(const std::string &name, int64_t rows, bool decode);
  /// tern_decode_batchB: one token of each of `rows` sequences.
  void batchEntry(const std::string &name, int64_t rows);
  /// The embedding, the layers (one outlined function each) and the head.
  void network(const std::string &name, const Scope &s, Value tokens,
               Value logits, Value firstRow);

  OpBuilder b_;
  Location loc_;
  const rt::ModelDescription &m_;
  const rt::ModelConfig &c_;
  const ImportOptions &opts_;
  int64_t context_;
  OwningOpRef<ModuleOp> module_;
};

func::FuncOp GraphBuilder::function(const std::string &name,
                                    ArrayRef<Type> extra, int64_t batchRows) {
  SmallVector<Type> inputs = {blobType(), cacheType(), cacheType(),
                              b_.getIndexType()};
  if (batchRows)
    inputs = {blobType(), slotCacheType(), slotCacheType(),
              rowIdsType(batchRows), rowIdsType(batchRows)};
  inputs.append(extra.begin(), extra.end());
  OpBuilder::InsertionGuard guard(b_);
  b_.setInsertionPointToEnd(module_->getBody());
  auto fn = func::FuncOp::create(b_, loc_, name,
                                 b_.getFunctionType(inputs, {}));
  fn.addEntryBlock();
  return fn;
}

std::pair<Value, Value> GraphBuilder::ropeTables(const Scope &s) {
  auto table = RankedTensorType::get({s.rows, c_.headDim / 2},
                                     b_.getF32Type());
  const auto theta = b_.getF32FloatAttr(c_.ropeTheta);
  if (s.batch()) {
    auto rope = RopeTableRowsOp::create(b_, loc_, table, table,
                                        rowIds(s, s.positions), theta);
    return {rope.getCos(), rope.getSin()};
  }
  auto rope = RopeTableOp::create(b_, loc_, table, table, s.pos, theta);
  return {rope.getCos(), rope.getSin()};
}

void GraphBuilder::layer(const Scope &s, Value xBuf, Value cos, Value sin,
                         int64_t l) {
  const rt::LayerWeights &w = m_.layers[static_cast<size_t>(l)];
  const int64_t qd = c_.numHeads * c_.headDim;
  Value x = bufferization::ToTensorOp::create(
      b_, loc_, act(s.rows, c_.hiddenSize), xBuf, /*restrict=*/true,
      /*writable=*/false);

  // Attention.
  Value xn = rmsNorm(s, x, w.attnNorm);
  Value q = bitLinear(s, xn, w.attnQ);
  Value k = bitLinear(s, xn, w.attnK);
  Value v = bitLinear(s, xn, w.attnV);
  auto rotate = [&](Value t) -> Value {
    return RopeOp::create(b_, loc_, t.getType(), t, cos, sin);
  };
  const auto layerAttr = b_.getI64IntegerAttr(l);
  const auto heads = b_.getI64IntegerAttr(c_.numHeads);
  const auto kvHeads = b_.getI64IntegerAttr(c_.numKvHeads);
  Value att =
      s.batch()
          ? BatchAttentionOp::create(b_, loc_, act(s.rows, qd), rotate(q),
                                     rotate(k), v, s.kCache, s.vCache,
                                     rowIds(s, s.positions),
                                     rowIds(s, s.slots), layerAttr, heads,
                                     kvHeads, /*value_panel=*/IntegerAttr())
                .getResult()
          : AttentionOp::create(b_, loc_, act(s.rows, qd), rotate(q),
                                rotate(k), v, s.kCache, s.vCache, s.pos,
                                /*cos=*/Value(), /*sin=*/Value(), layerAttr,
                                heads, kvHeads,
                                /*staged_from=*/IntegerAttr(),
                                /*value_panel=*/IntegerAttr())
                .getResult();
  x = add(x, bitLinear(s, rmsNorm(s, att, w.attnSubNorm), w.attnOutput));

  // MLP.
  xn = rmsNorm(s, x, w.ffnNorm);
  Value gate = bitLinear(s, xn, w.ffnGate);
  Value up = bitLinear(s, xn, w.ffnUp);
  Value h = SquaredReluGateOp::create(b_, loc_, gate.getType(), gate, up);
  x = add(x, bitLinear(s, rmsNorm(s, h, w.ffnSubNorm), w.ffnDown));

  auto store =
      bufferization::MaterializeInDestinationOp::create(b_, loc_, x, xBuf);
  store.setRestrict(true);
  store.setWritable(true);
}

Value GraphBuilder::tokens(const Scope &s, Value arg) {
  if (isa<IndexType>(arg.getType())) {
    Value id = arith::IndexCastOp::create(b_, loc_, b_.getI64Type(), arg);
    return tensor::FromElementsOp::create(
        b_, loc_, RankedTensorType::get({1}, b_.getI64Type()), ValueRange{id});
  }
  return bufferization::ToTensorOp::create(
      b_, loc_, RankedTensorType::get({s.rows}, b_.getI64Type()), arg,
      /*restrict=*/true, /*writable=*/false);
}

void GraphBuilder::head(const Scope &s, Value xn, Value embedding,
                        Value logits, Value firstRow) {
  const rt::DenseTensor &t = m_.output ? *m_.output : m_.tokenEmbedding;
  Value native = m_.output ? dense(s, t) : embedding;
  Value weights = native, scales;
  // A screened head screens decode's one token row with its quantized
  // copy (int8 or q4); several rows (prefill, batched decode) read the
  // native head.
  const bool screened = rt::isScreenedHead(opts_.head);
  const bool screen = screened && s.rows == 1 && !firstRow;
  const rt::HeadFormat stored =
      !screened ? opts_.head
      : screen  ? rt::headCodesFormat(opts_.head)
                : rt::HeadFormat::Native;
  HeadFormat format = HeadFormat::native;
  if (stored != rt::HeadFormat::Native) {
    // The quantized copy: codes [V, code bytes] and scales [V, groups]
    // (f32 for int8, f16 for q4).
    format = stored == rt::HeadFormat::Int8 ? HeadFormat::int8
                                            : HeadFormat::q4;
    const int64_t cb = rt::headCodeBytesPerRow(stored, t.cols);
    const int64_t sc = rt::headScalesPerRow(stored, t.cols);
    weights = param(s, headCodesName(t, stored),
                    RankedTensorType::get({t.rows, cb}, b_.getI8Type()));
    scales = param(s, headScalesName(t, stored),
                   RankedTensorType::get({t.rows, sc},
                                         rt::headScaleBytes(stored) == 2
                                             ? Type(b_.getF16Type())
                                             : Type(b_.getF32Type())));
  }
  // q4 and int8 multiply the token rows quantized as every BitLinear
  // input (so does the q4 screen, which is the q4 head); the int8
  // screen's scan multiplies the rows themselves.
  Value rowsIn = xn, rowScales;
  if (format != HeadFormat::native &&
      !(screen && stored == rt::HeadFormat::Int8)) {
    auto xType = cast<RankedTensorType>(xn.getType());
    auto quant = QuantizeActOp::create(
        b_, loc_, RankedTensorType::get(xType.getShape(), b_.getI8Type()),
        RankedTensorType::get({xType.getDimSize(0)}, b_.getF32Type()), xn);
    rowsIn = quant.getOutput();
    rowScales = quant.getScale();
  }
  LmHeadOp::create(b_, loc_, HeadFormatAttr::get(b_.getContext(), format),
                   rowsIn, rowScales, weights, scales, logits, firstRow,
                   IntegerAttr(), IntegerAttr(), StringAttr(),
                   DenseI64ArrayAttr());
  if (screen) {
    const float minNorm = rt::screenMinNorm(opts_.head, t.cols);
    ScreenHeadOp::create(
        b_, loc_, xn, native,
        param(s, headBoundsName(t, opts_.head),
              RankedTensorType::get({t.rows, rt::kScreenBoundValues},
                                    b_.getF32Type())),
        logits,
        minNorm == rt::kScreenTinyNorm ? FloatAttr()
                                       : b_.getF32FloatAttr(minNorm));
  }
}

void GraphBuilder::entry(const std::string &name, int64_t rows, bool decode) {
  const int64_t vocab = c_.vocabSize;
  Type tokensType = decode ? Type(b_.getIndexType())
                           : Type(MemRefType::get({rows}, b_.getI64Type()));
  auto logitsType = decode ? MemRefType::get({vocab}, b_.getF32Type())
                           : MemRefType::get({rows, vocab}, b_.getF32Type());
  SmallVector<Type> extra = {tokensType, logitsType};
  if (!decode)
    extra.push_back(b_.getIndexType()); // logits_from
  func::FuncOp fn = function(name, extra);
  fn->setAttr("llvm.emit_c_interface", b_.getUnitAttr());
  Block *body = &fn.front();
  OpBuilder::InsertionGuard guard(b_);
  b_.setInsertionPointToStart(body);
  const Scope s{body->getArgument(0), body->getArgument(1),
                body->getArgument(2), body->getArgument(3), rows};
  network(name, s, body->getArgument(4), body->getArgument(5),
          decode ? Value() : body->getArgument(6));
}

void GraphBuilder::batchEntry(const std::string &name, int64_t rows) {
  // (blob, k caches, v caches, slots, positions, tokens, logits [rows, V])
  func::FuncOp fn = function(
      name,
      {rowIdsType(rows),
       MemRefType::get({rows, c_.vocabSize}, b_.getF32Type())},
      rows);
  fn->setAttr("llvm.emit_c_interface", b_.getUnitAttr());
  Block *body = &fn.front();
  OpBuilder::InsertionGuard guard(b_);
  b_.setInsertionPointToStart(body);
  Scope s{body->getArgument(0), body->getArgument(1), body->getArgument(2),
          Value(), rows};
  s.slots = body->getArgument(3);
  s.positions = body->getArgument(4);
  // Every row's logits (no first row).
  network(name, s, body->getArgument(5), body->getArgument(6), Value());
}

void GraphBuilder::network(const std::string &name, const Scope &s,
                           Value tokenArg, Value logits, Value firstRow) {
  const int64_t h = c_.hiddenSize, rows = s.rows;
  Value embedding = dense(s, m_.tokenEmbedding);
  Value x = EmbeddingOp::create(b_, loc_, act(rows, h), embedding,
                                tokens(s, tokenArg));
  // The residual stream, read and written by each layer in turn.
  Value xBuf = memref::AllocaOp::create(
      b_, loc_, MemRefType::get({rows, h}, b_.getF32Type()));
  auto init =
      bufferization::MaterializeInDestinationOp::create(b_, loc_, x, xBuf);
  init.setRestrict(true);
  init.setWritable(true);
  const int64_t batch = s.batch() ? rows : 0;
  auto [cos, sin] = ropeTables(s);
  for (int64_t l = 0; l < c_.numLayers; ++l) {
    const std::string layerName = name + "_layer_" + std::to_string(l);
    func::FuncOp lf =
        function(layerName,
                 {cos.getType(), sin.getType(),
                  MemRefType::get({rows, h}, b_.getF32Type())},
                 batch);
    lf.setPrivate();
    lf->setAttr("passthrough", b_.getArrayAttr({b_.getStringAttr("noinline")}));
    {
      OpBuilder::InsertionGuard inner(b_);
      Block *lb = &lf.front();
      b_.setInsertionPointToStart(lb);
      Scope ls{lb->getArgument(0), lb->getArgument(1), lb->getArgument(2),
               batch ? Value() : lb->getArgument(3), rows};
      if (batch) {
        ls.slots = lb->getArgument(3);
        ls.positions = lb->getArgument(4);
      }
      const unsigned n = lb->getNumArguments();
      layer(ls, lb->getArgument(n - 1), lb->getArgument(n - 3),
            lb->getArgument(n - 2), l);
      func::ReturnOp::create(b_, loc_);
    }
    SmallVector<Value> args = {s.blob, s.kCache, s.vCache};
    if (batch)
      args.append({s.slots, s.positions});
    else
      args.push_back(s.pos);
    args.append({cos, sin, xBuf});
    func::CallOp::create(b_, loc_, lf, args);
  }
  x = bufferization::ToTensorOp::create(b_, loc_, act(rows, h), xBuf,
                                        /*restrict=*/true, /*writable=*/false);
  Value xn = rmsNorm(s, x, m_.outputNorm);
  head(s, xn, embedding, logits, firstRow);
  func::ReturnOp::create(b_, loc_);
}

OwningOpRef<ModuleOp> GraphBuilder::build(int64_t prefillRows,
                                          int64_t batchRows) {
  module_ = ModuleOp::create(loc_);
  entry(TERN_ABI_DECODE_FN, 1, /*decode=*/true);
  if (prefillRows > 1)
    entry(TERN_ABI_PREFILL_FN, prefillRows, /*decode=*/false);
  for (int64_t b = 2; b <= batchRows; b *= 2)
    batchEntry(TERN_ABI_DECODE_BATCH_FN + std::to_string(b), b);
  // Model facts for tools and diagnostics.
  module_->getOperation()->setAttr(
      "tern.model",
      b_.getDictionaryAttr(
          {b_.getNamedAttr("source", b_.getStringAttr(m_.sourcePath)),
           b_.getNamedAttr("layers", b_.getI64IntegerAttr(c_.numLayers)),
           b_.getNamedAttr("hidden", b_.getI64IntegerAttr(c_.hiddenSize)),
           b_.getNamedAttr("vocab", b_.getI64IntegerAttr(c_.vocabSize)),
           b_.getNamedAttr("context", b_.getI64IntegerAttr(context_)),
           b_.getNamedAttr("prefill_rows", b_.getI64IntegerAttr(prefillRows)),
           b_.getNamedAttr("batch_rows", b_.getI64IntegerAttr(batchRows)),
           b_.getNamedAttr("head", b_.getStringAttr(
                                       rt::headFormatName(opts_.head)))}));
  return std::move(module_);
}

/// What the compiler cannot handle, or success.
llvm::Error check(const rt::ModelDescription &m, const ImportOptions &o) {
  const rt::ModelConfig &c = m.config;
  auto fail = [&](const std::string &why) {
    return llvm::createStringError(m.sourcePath + ": " + why);
  };
  if (c.hiddenSize % 8 || c.headDim % 16 || c.intermediateSize % 8)
    return fail("tern compile needs hidden size and intermediate size "
                "divisible by 8 and head dim by 16 (got " +
                std::to_string(c.hiddenSize) + ", " +
                std::to_string(c.headDim) + ", " +
                std::to_string(c.intermediateSize) + ")");
  if (static_cast<int64_t>(m.layers.size()) != c.numLayers)
    return fail("layer count does not match the configuration");
  if (o.contextSize < 0)
    return fail("negative context size");
  if (std::string bad = rt::checkHeadFormat(o.head, c.hiddenSize); !bad.empty())
    return fail(bad);
  return llvm::Error::success();
}

} // namespace

llvm::Expected<ImportedModel>
mlir::tern::importModel(MLIRContext &context,
                        const rt::ModelDescription &model,
                        const ImportOptions &options) {
  if (llvm::Error e = check(model, options))
    return e;
  ImportedModel out;
  out.contextSize =
      options.contextSize ? options.contextSize : model.config.maxPositions;
  out.prefillRows = std::min<int64_t>(
      options.prefillRows >= 0 ? options.prefillRows : kDefaultPrefillRows,
      out.contextSize);
  if (out.prefillRows < 2)
    out.prefillRows = 0;
  // Powers of two up to the option (at most 64: tern_abi.h declares those).
  for (int64_t b = 2; b <= std::min<int64_t>(options.batchRows, 64); b *= 2)
    out.batchRows = b;
  out.module = GraphBuilder(context, model, options, out.contextSize)
                   .build(out.prefillRows, out.batchRows);
  return out;
}
