//===- TernNetworkOps.cpp - Verifiers of the network ops ------------------===//
//
// embedding, rms_norm, rms_norm_quantize, rope_table, rope, attention,
// squared_relu_gate and lm_head: shapes must agree with each other and
// with the vector widths their definitions (and the reference forward
// pass) use.
//
//===----------------------------------------------------------------------===//

#include "dialects/Tern/IR/TernOps.h"
#include "dialects/Tern/IR/VerifyHelpers.h"
#include "runtime/model/HeadFormat.h"

#include <limits>

using namespace mlir;
using namespace mlir::tern;

namespace {
/// The reference's dot products and sums run in 8 lanes.
constexpr int64_t kLanes = 8;
/// The largest side of tern.lm_head's tile: its sums live in registers.
constexpr int64_t kMaxHeadTile = 16;

int64_t dim(Value v, unsigned i) {
  return cast<ShapedType>(v.getType()).getDimSize(i);
}
} // namespace

LogicalResult EmbeddingOp::verify() {
  if (failed(checkTensor(*this, getTable().getType(), 2, "table")) ||
      failed(checkTensor(*this, getTokens().getType(), 1, "tokens")) ||
      failed(checkShape(*this, getResult().getType(),
                        {dim(getTokens(), 0), dim(getTable(), 1)},
                        "result [tokens, table columns] =")))
    return failure();
  if (dim(getTable(), 1) % kLanes)
    return emitOpError() << "needs rows of a multiple of " << kLanes
                         << " values, got " << dim(getTable(), 1);
  return success();
}

namespace {
/// What rms_norm and rms_norm_quantize require of their input, weight and
/// epsilon.
template <typename Op> LogicalResult verifyNormInput(Op op) {
  if (failed(checkTensor(op, op.getInput().getType(), 2, "input")) ||
      failed(checkShape(op, op.getWeight().getType(), {dim(op.getInput(), 1)},
                        "weight to have one entry per input column, shape")))
    return failure();
  if (dim(op.getInput(), 1) % kLanes)
    return op.emitOpError() << "needs rows of a multiple of " << kLanes
                            << " values (its sum runs in " << kLanes
                            << " lanes), got " << dim(op.getInput(), 1);
  if (!(op.getEpsilon().convertToFloat() >= 0))
    return op.emitOpError() << "needs a non-negative epsilon";
  return success();
}
} // namespace

LogicalResult RmsNormOp::verify() {
  if (failed(verifyNormInput(*this)))
    return failure();
  return checkShape(*this, getResult().getType(),
                    getInput().getType().getShape(),
                    "result to have the input's shape");
}

LogicalResult RmsNormQuantizeOp::verify() {
  if (failed(verifyNormInput(*this)))
    return failure();
  return checkQuantizedRows(*this, getInput().getType().getShape(),
                            getOutput().getType(), getScale().getType());
}

/// What rope_table and rope_table_rows both require of their tables.
template <typename Op> LogicalResult verifyRopeTables(Op op) {
  if (failed(checkTensor(op, op.getCos().getType(), 2, "cos")) ||
      failed(checkShape(op, op.getSin().getType(),
                        op.getCos().getType().getShape(),
                        "sin to have cos's shape")))
    return failure();
  if (dim(op.getCos(), 1) % kLanes)
    return op.emitOpError()
           << "needs half a head dimension that is a multiple of " << kLanes
           << ", got " << dim(op.getCos(), 1);
  if (!(op.getTheta().convertToFloat() > 0))
    return op.emitOpError() << "needs a positive theta";
  return success();
}

LogicalResult RopeTableOp::verify() { return verifyRopeTables(*this); }

LogicalResult RopeTableRowsOp::verify() {
  if (failed(verifyRopeTables(*this)))
    return failure();
  if (getPositions().getType().getRank() != 1 ||
      dim(getPositions(), 0) != dim(getCos(), 0))
    return emitOpError() << "needs one position per row ("
                         << dim(getCos(), 0) << ")";
  return success();
}

LogicalResult RopeOp::verify() {
  if (failed(checkTensor(*this, getInput().getType(), 2, "input")) ||
      failed(checkTensor(*this, getCos().getType(), 2, "cos")) ||
      failed(checkShape(*this, getSin().getType(),
                        getCos().getType().getShape(),
                        "sin to have cos's shape")) ||
      failed(checkShape(*this, getResult().getType(),
                        getInput().getType().getShape(),
                        "result to have the input's shape")))
    return failure();
  const int64_t rows = dim(getInput(), 0), half = dim(getCos(), 1);
  if (dim(getCos(), 0) != rows)
    return emitOpError() << "has " << rows << " input rows but tables for "
                         << dim(getCos(), 0);
  if (half % kLanes || dim(getInput(), 1) % (2 * half))
    return emitOpError() << "needs rows of whole heads of " << 2 * half
                         << " values (half a multiple of " << kLanes
                         << "), got rows of " << dim(getInput(), 1);
  return success();
}

/// A value panel of P lanes: a multiple of 16 (the output's vectors) that
/// divides the head width hd.
template <typename Op> LogicalResult verifyValuePanel(Op op, int64_t hd) {
  std::optional<uint64_t> p = op.getValuePanel();
  if (p && (*p % 16 || hd % static_cast<int64_t>(*p)))
    return op.emitOpError() << "value_panel " << *p << " must be a multiple "
                            << "of 16 that divides the head width " << hd;
  return success();
}

/// The query, key, value and result shapes attention and batch_attention
/// both require.
template <typename Op> LogicalResult verifyAttentionRows(Op op) {
  if (failed(checkTensor(op, op.getQuery().getType(), 2, "query")) ||
      failed(checkTensor(op, op.getKey().getType(), 2, "key")) ||
      failed(checkShape(op, op.getValue().getType(),
                        op.getKey().getType().getShape(),
                        "value to have key's shape")) ||
      failed(checkShape(op, op.getResult().getType(),
                        op.getQuery().getType().getShape(),
                        "result to have the query's shape")))
    return failure();
  return success();
}

LogicalResult AttentionOp::verify() {
  if (failed(verifyAttentionRows(*this)) ||
      failed(checkTensor(*this, getKeyCache().getType(), 3, "key cache")) ||
      failed(checkShape(*this, getValueCache().getType(),
                        getKeyCache().getType().getShape(),
                        "value cache to have the key cache's shape")))
    return failure();
  const int64_t rows = dim(getQuery(), 0), heads = getNumHeads(),
                kvHeads = getNumKvHeads();
  if (dim(getKey(), 0) != rows)
    return emitOpError() << "has " << rows << " query rows but "
                         << dim(getKey(), 0) << " key rows";
  if (heads % kvHeads)
    return emitOpError() << heads << " query heads are not a multiple of "
                         << kvHeads << " kv heads";
  if (dim(getQuery(), 1) % heads)
    return emitOpError() << "query width " << dim(getQuery(), 1)
                         << " is not a multiple of " << heads << " heads";
  const int64_t hd = dim(getQuery(), 1) / heads;
  if (hd % kLanes)
    return emitOpError() << "needs a head dimension that is a multiple of "
                         << kLanes << ", got " << hd;
  if (dim(getKey(), 1) != kvHeads * hd)
    return emitOpError() << "expects key rows of " << kvHeads << " heads of "
                         << hd << ", got " << dim(getKey(), 1);
  if (dim(getKeyCache(), 2) != kvHeads * hd)
    return emitOpError() << "expects cache rows of " << kvHeads * hd
                         << " values, got " << dim(getKeyCache(), 2);
  if (static_cast<int64_t>(getLayer()) >= dim(getKeyCache(), 0))
    return emitOpError() << "layer " << getLayer() << " is outside the "
                         << dim(getKeyCache(), 0) << "-layer cache";
  if (getStagedFrom() && rows != 1)
    return emitOpError() << "staged_from applies to one row, not " << rows;
  if (!getCos() != !getSin())
    return emitOpError() << "needs both rope tables or neither";
  if (getCos()) {
    if (rows != 1)
      return emitOpError() << "rotates one row, not " << rows;
    if ((hd / 2) % kLanes)
      return emitOpError() << "rotates heads of " << hd
                           << ", whose halves are not a multiple of " << kLanes;
    if (failed(checkShape(*this, getCos().getType(), {1, hd / 2},
                          "cos to be one row of half a head")) ||
        failed(checkShape(*this, getSin().getType(), {1, hd / 2},
                          "sin to be one row of half a head")))
      return failure();
  }
  if (failed(verifyValuePanel(*this, hd)))
    return failure();
  if (rows > dim(getKeyCache(), 1))
    return emitOpError() << rows << " rows do not fit the "
                         << dim(getKeyCache(), 1) << "-position cache";
  return success();
}

LogicalResult BatchAttentionOp::verify() {
  if (failed(verifyAttentionRows(*this)))
    return failure();
  auto kc = getKeyCache().getType(), vc = getValueCache().getType();
  if (kc != vc)
    return emitOpError() << "needs the value caches of the key caches' type";
  for (unsigned i = 1; i < 4; ++i)
    if (kc.isDynamicDim(i))
      return emitOpError() << "needs caches with static layers, context "
                           << "and width (only the slot count may vary)";
  const int64_t rows = dim(getQuery(), 0), heads = getNumHeads(),
                kvHeads = getNumKvHeads();
  if (dim(getKey(), 0) != rows || dim(getPositions(), 0) != rows ||
      dim(getSlots(), 0) != rows || getPositions().getType().getRank() != 1 ||
      getSlots().getType().getRank() != 1)
    return emitOpError() << "needs key rows, positions and slots for each of "
                         << rows << " query rows";
  if (heads % kvHeads || dim(getQuery(), 1) % heads)
    return emitOpError() << "needs query heads that are a multiple of the kv "
                         << "heads and divide the query width";
  const int64_t hd = dim(getQuery(), 1) / heads;
  if (hd % kLanes || dim(getKey(), 1) != kvHeads * hd ||
      kc.getDimSize(3) != kvHeads * hd)
    return emitOpError() << "expects key and cache rows of " << kvHeads
                         << " heads of " << hd << " (a multiple of " << kLanes
                         << ")";
  if (static_cast<int64_t>(getLayer()) >= kc.getDimSize(1))
    return emitOpError() << "layer " << getLayer() << " is outside the "
                         << kc.getDimSize(1) << "-layer cache";
  return verifyValuePanel(*this, hd);
}

LogicalResult SquaredReluGateOp::verify() {
  if (failed(checkTensor(*this, getGate().getType(), 2, "gate")))
    return failure();
  if (dim(getGate(), 1) % kLanes)
    return emitOpError() << "needs rows of a multiple of " << kLanes
                         << " values, got " << dim(getGate(), 1);
  return success();
}

LogicalResult LmHeadOp::verify() {
  if (failed(checkTensor(*this, getInput().getType(), 2, "input")) ||
      failed(checkTensor(*this, getWeights().getType(), 2, "weights")))
    return failure();
  const int64_t rows = dim(getInput(), 0), h = dim(getInput(), 1),
                vocab = dim(getWeights(), 0);
  Type wt = getWeights().getType().getElementType();
  const HeadFormat f = getFormat();
  if (h % kLanes)
    return emitOpError() << "needs rows of a multiple of " << kLanes
                         << " values, got " << h;
  // The weights and scales each format reads.
  SmallVector<int64_t> codes = {vocab, h}, scales;
  bool floatWeights = true;
  if (f == HeadFormat::int8) {
    floatWeights = false;
    scales = {vocab, 1};
  } else if (f == HeadFormat::q4) {
    if (h % 32)
      return emitOpError() << "q4 needs rows of whole groups of 32, got " << h;
    floatWeights = false;
    codes = {vocab, h / 2};
    scales = {vocab, h / 32};
  }
  if (floatWeights != isa<FloatType>(wt))
    return emitOpError() << stringifyHeadFormat(f) << " needs "
                         << (floatWeights ? "float" : "i8") << " weights, got "
                         << wt;
  if (failed(checkShape(*this, getWeights().getType(), codes,
                        "weights of shape")))
    return failure();
  if (scales.empty() != !getScales())
    return emitOpError() << stringifyHeadFormat(f)
                         << (scales.empty() ? " takes no scales"
                                            : " needs scales");
  if (getScales() &&
      failed(checkShape(*this, getScales().getType(), scales,
                        "scales of shape")))
    return failure();
  // int8 stores an f32 scale per row, q4 an f16 scale per group.
  if (getScales()) {
    Type st = getScales().getType().getElementType();
    const bool half = f == HeadFormat::q4;
    if (half ? !st.isF16() : !st.isF32())
      return emitOpError() << stringifyHeadFormat(f) << " needs "
                           << (half ? "f16" : "f32") << " scales, got " << st;
  }
  // q4, and int8 given i8 token rows, multiply quantized token rows
  // (tern.quantize_act) in integers; int8 given f32 rows (the screened
  // head's scan) quantizes them to 15 bits itself and multiplies in
  // integers too; native multiplies the rows themselves.
  const bool integer = isInteger();
  Type it = getInput().getType().getElementType();
  if (f == HeadFormat::q4 && !integer)
    return emitOpError() << "q4 needs i8 token rows, got " << it;
  if (f == HeadFormat::native && integer)
    return emitOpError() << "native needs f32 token rows, got " << it;
  if (f == HeadFormat::int8 && h > ::tern::kHeadInt8MaxCols)
    return emitOpError() << "int8 sums rows of at most "
                         << ::tern::kHeadInt8MaxCols
                         << " columns in i32, got " << h;
  if (integer != (getInputScales() != nullptr))
    return emitOpError() << stringifyHeadFormat(f)
                         << (integer ? " needs the token rows' scales"
                                     : " takes no token row scales");
  if (getInputScales() &&
      failed(checkShape(*this, getInputScales().getType(), {rows},
                        "token row scales of shape")))
    return failure();
  if (std::optional<StringRef> dot = getDot()) {
    if (f == HeadFormat::native)
      return emitOpError() << "dot = \"" << *dot
                           << "\" applies to the integer heads only (q4, "
                              "int8)";
    auto *dialect = getContext()->getLoadedDialect<TernDialect>();
    if (dot->empty())
      return emitOpError() << "dot needs a kernel family name";
    if (dialect && dialect->quadDotCheck)
      if (std::string why = dialect->quadDotCheck(*dot); !why.empty())
        return emitOpError() << why;
  }
  if (std::optional<ArrayRef<int64_t>> tile = getTile()) {
    if (f != HeadFormat::native)
      return emitOpError() << "tile applies to the native head only";
    if (tile->size() != 2 || (*tile)[0] < 1 || (*tile)[1] < 1 ||
        (*tile)[0] > kMaxHeadTile || (*tile)[1] > kMaxHeadTile)
      return emitOpError() << "tile needs 2 sizes from 1 to " << kMaxHeadTile
                           << " (vocabulary rows, token rows), got "
                           << llvm::interleaved_array(*tile);
  }
  MemRefType logits = getLogits().getType();
  SmallVector<int64_t> want = {rows, vocab};
  if (logits.getRank() == 1 && rows == 1)
    want = {vocab};
  if (!logits.hasStaticShape() || logits.getShape() != ArrayRef(want))
    return emitOpError() << "expects logits " << llvm::interleaved_array(want)
                         << ", got " << logits;
  return success();
}

LogicalResult ScreenHeadOp::verify() {
  if (failed(checkTensor(*this, getInput().getType(), 2, "input")) ||
      failed(checkTensor(*this, getWeights().getType(), 2, "weights")) ||
      failed(checkTensor(*this, getBounds().getType(), 2, "bounds")))
    return failure();
  const int64_t h = dim(getInput(), 1), vocab = dim(getWeights(), 0);
  if (dim(getInput(), 0) != 1)
    return emitOpError() << "screens one token row, got "
                         << dim(getInput(), 0);
  if (h % kLanes)
    return emitOpError() << "needs rows of a multiple of " << kLanes
                         << " values, got " << h;
  if (failed(checkShape(*this, getWeights().getType(), {vocab, h},
                        "weights of shape")) ||
      failed(checkShape(*this, getBounds().getType(), {vocab, 2},
                        "bounds of shape")))
    return failure();
  MemRefType logits = getLogits().getType();
  if (!logits.hasStaticShape() || logits.getShape() != ArrayRef({vocab}))
    return emitOpError() << "expects logits [" << vocab << "], got "
                         << logits;
  // The lowering numbers rows in i32 lanes.
  if (vocab > std::numeric_limits<int32_t>::max())
    return emitOpError() << "screens at most "
                         << std::numeric_limits<int32_t>::max()
                         << " rows, got " << vocab;
  if (std::optional<llvm::APFloat> m = getMinNorm()) {
    if (!m->isFiniteNonZero() || m->isNegative())
      return emitOpError() << "expects a positive finite min_norm, got "
                           << m->convertToFloat();
  }
  return success();
}
