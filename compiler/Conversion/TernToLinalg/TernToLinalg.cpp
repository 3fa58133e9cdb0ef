//===- TernToLinalg.cpp - Reference lowering of tern ops ------------------===//
//
// Every tern op becomes linalg.generic ops on tensors whose bodies state the
// op's definition (see runtime/ternary/Ternary.h) literally. Floating-point
// steps happen in the same order as in the C++ reference so both agree bit
// for bit.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/TernToLinalg/TernToLinalg.h"

#include "dialects/Tern/Transforms/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/IR/BuiltinOps.h"
#include "runtime/ternary/Ternary.h"

namespace mlir::tern {
#define GEN_PASS_DEF_CONVERTTERNTOLINALG
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

TernToLinalgTypeConverter::TernToLinalgTypeConverter() {
  addConversion([](Type type) { return type; });
  addConversion([](WeightsType type) -> Type {
    auto i8 = IntegerType::get(type.getContext(), 8);
    if (!type.isPacked())
      return RankedTensorType::get(type.getShape(), i8);
    return RankedTensorType::get(
        {type.getRows(), type.getLayout().getRowBytes(type.getCols())}, i8);
  });
}

namespace {

using utils::IteratorType;
constexpr IteratorType kPar = IteratorType::parallel;
constexpr IteratorType kRed = IteratorType::reduction;

Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                  Type elementType) {
  return tensor::EmptyOp::create(b, loc, shape, elementType);
}

Value filledTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                   TypedAttr value) {
  Value init = emptyTensor(b, loc, shape, value.getType());
  Value scalar = arith::ConstantOp::create(b, loc, value);
  return linalg::FillOp::create(b, loc, ValueRange{scalar}, ValueRange{init})
      .getResult(0);
}

Value f32Const(OpBuilder &b, Location loc, float v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

/// clamp(roundeven(v), lo, hi) converted to i8.
Value roundClampToI8(OpBuilder &b, Location loc, Value v, float lo, float hi) {
  Value r = math::RoundEvenOp::create(b, loc, v);
  r = arith::MaximumFOp::create(b, loc, r, f32Const(b, loc, lo));
  r = arith::MinimumFOp::create(b, loc, r, f32Const(b, loc, hi));
  return arith::FPToSIOp::create(b, loc, b.getI8Type(), r);
}

Value toF32(OpBuilder &b, Location loc, Value v) {
  auto type = cast<FloatType>(v.getType());
  if (type.getWidth() < 32)
    return arith::ExtFOp::create(b, loc, b.getF32Type(), v);
  if (type.getWidth() > 32)
    return arith::TruncFOp::create(b, loc, b.getF32Type(), v);
  return v;
}

/// Unpacked i8 weights for any weights value (converted form).
Value unpackedWeights(OpBuilder &b, Location loc, WeightsType type,
                      Value converted) {
  if (!type.isPacked())
    return converted;
  return buildUnpack(b, loc, converted, type.getLayout(), type.getCols());
}

struct ConstantLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConstantOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    WeightsType type = op.getResult().getType();
    DenseIntElementsAttr value = op.getValue();
    if (type.isPacked()) {
      // Pack at compile time with the runtime's packer.
      std::vector<int8_t> t;
      for (const APInt &v : value.getValues<APInt>())
        t.push_back(static_cast<int8_t>(v.getSExtValue()));
      int64_t rowBytes = type.getLayout().getRowBytes(type.getCols());
      std::vector<int8_t> bytes(type.getRows() * rowBytes);
      if (!type.getLayout().getLayout().pack(
              t.data(), type.getRows(), type.getCols(),
              reinterpret_cast<uint8_t *>(bytes.data())))
        return op.emitOpError("holds a non-ternary value");
      value = cast<DenseIntElementsAttr>(DenseElementsAttr::get(
          RankedTensorType::get({type.getRows(), rowBytes},
                                rewriter.getI8Type()),
          ArrayRef<int8_t>(bytes)));
    }
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, value);
    return success();
  }
};

struct AbsmeanQuantizeLowering : OpConversionPattern<AbsmeanQuantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AbsmeanQuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = op.getInput().getType();
    auto shape = inType.getShape();
    MLIRContext *ctx = rewriter.getContext();
    Value x = adaptor.getInput();

    // sum(|w|) in f64, row-major.
    Value zero = filledTensor(rewriter, loc, {}, rewriter.getF64FloatAttr(0.0));
    AffineMap id = rewriter.getMultiDimIdentityMap(2);
    AffineMap scalar = AffineMap::get(2, 0, {}, ctx);
    Value sum =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{zero.getType()}, ValueRange{x},
            ValueRange{zero}, ArrayRef<AffineMap>{id, scalar},
            ArrayRef<IteratorType>{kRed, kRed},
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value v = math::AbsFOp::create(b, l, args[0]);
              v = arith::ExtFOp::create(b, l, b.getF64Type(), v);
              linalg::YieldOp::create(b, l,
                                      arith::AddFOp::create(b, l, args[1], v)
                                          .getResult());
            })
            .getResult(0);
    Value total = tensor::ExtractOp::create(rewriter, loc, sum, ValueRange{});
    Value count = arith::ConstantOp::create(
        rewriter, loc, rewriter.getF64FloatAttr(double(shape[0] * shape[1])));
    Value mean = arith::DivFOp::create(rewriter, loc, total, count);
    mean = arith::TruncFOp::create(rewriter, loc, rewriter.getF32Type(), mean);
    Value beta = arith::MaximumFOp::create(
        rewriter, loc, mean, f32Const(rewriter, loc, ::tern::kQuantEpsilon));
    Value inv = arith::DivFOp::create(rewriter, loc, f32Const(rewriter, loc, 1.0f),
                                      beta);

    Value init = emptyTensor(rewriter, loc, shape, rewriter.getI8Type());
    Value t = linalg::GenericOp::create(
                  rewriter, loc, TypeRange{init.getType()}, ValueRange{x},
                  ValueRange{init}, ArrayRef<AffineMap>{id, id},
                  ArrayRef<IteratorType>{kPar, kPar},
                  [&](OpBuilder &b, Location l, ValueRange args) {
                    Value v = arith::MulFOp::create(b, l, toF32(b, l, args[0]),
                                                    inv);
                    linalg::YieldOp::create(
                        b, l, roundClampToI8(b, l, v, -1.0f, 1.0f));
                  })
                  .getResult(0);
    WeightsType wType = op.getWeights().getType();
    if (wType.isPacked())
      t = buildPack(rewriter, loc, t, wType.getLayout());
    rewriter.replaceOp(op, {t, beta});
    return success();
  }
};

struct QuantizeActLowering : OpConversionPattern<QuantizeActOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(QuantizeActOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto shape = op.getInput().getType().getShape();
    const int64_t m = shape[0];
    Value x = adaptor.getInput();
    AffineMap id2 = rewriter.getMultiDimIdentityMap(2);
    AffineMap row = AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx);
    AffineMap id1 = rewriter.getMultiDimIdentityMap(1);

    // absmax per row, starting from the epsilon floor.
    Value floor = filledTensor(rewriter, loc, {m},
                               rewriter.getF32FloatAttr(::tern::kQuantEpsilon));
    Value absmax =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{floor.getType()}, ValueRange{x},
            ValueRange{floor}, ArrayRef<AffineMap>{id2, row},
            ArrayRef<IteratorType>{kPar, kRed},
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value a = math::AbsFOp::create(b, l, args[0]);
              linalg::YieldOp::create(
                  b, l, arith::MaximumFOp::create(b, l, args[1], a).getResult());
            })
            .getResult(0);
    // s = 127 / absmax
    Value sInit = emptyTensor(rewriter, loc, {m}, rewriter.getF32Type());
    Value s = linalg::GenericOp::create(
                  rewriter, loc, TypeRange{sInit.getType()}, ValueRange{absmax},
                  ValueRange{sInit}, ArrayRef<AffineMap>{id1, id1},
                  ArrayRef<IteratorType>{kPar},
                  [&](OpBuilder &b, Location l, ValueRange args) {
                    linalg::YieldOp::create(
                        b, l,
                        arith::DivFOp::create(b, l, f32Const(b, l, 127.0f),
                                              args[0])
                            .getResult());
                  })
                  .getResult(0);
    // q = clamp(roundeven(x * s), -128, 127)
    Value qInit = emptyTensor(rewriter, loc, shape, rewriter.getI8Type());
    Value q = linalg::GenericOp::create(
                  rewriter, loc, TypeRange{qInit.getType()}, ValueRange{x, s},
                  ValueRange{qInit}, ArrayRef<AffineMap>{id2, row, id2},
                  ArrayRef<IteratorType>{kPar, kPar},
                  [&](OpBuilder &b, Location l, ValueRange args) {
                    Value v = arith::MulFOp::create(b, l, args[0], args[1]);
                    linalg::YieldOp::create(
                        b, l, roundClampToI8(b, l, v, -128.0f, 127.0f));
                  })
                  .getResult(0);
    rewriter.replaceOp(op, {q, s});
    return success();
  }
};

/// tern.weight: a typed view of the blob's bytes, as a read-only tensor.
struct WeightLowering : OpConversionPattern<WeightOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(WeightOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    if (!op.getOffset())
      return rewriter.notifyMatchFailure(
          op, "the weight has no place in the blob yet (tern-plan-weights)");
    auto tensorType = cast<RankedTensorType>(
        getTypeConverter()->convertType(op.getResult().getType()));
    auto viewType =
        MemRefType::get(tensorType.getShape(), tensorType.getElementType());
    Value offset = arith::ConstantIndexOp::create(
        rewriter, loc, static_cast<int64_t>(*op.getOffset()));
    Value view = memref::ViewOp::create(rewriter, loc, viewType,
                                        adaptor.getBlob(), offset, ValueRange{});
    // restrict: nothing else in the function aliases the blob's bytes
    // through a tensor; they are never written.
    rewriter.replaceOp(op, bufferization::ToTensorOp::create(
                               rewriter, loc, tensorType, view,
                               /*restrict=*/true, /*writable=*/false));
    return success();
  }
};

struct MatmulLowering : OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value w = unpackedWeights(rewriter, loc, op.getWeights().getType(),
                              adaptor.getWeights());
    auto resultType = op.getResult().getType();
    Value zero = filledTensor(rewriter, loc, resultType.getShape(),
                              rewriter.getI32IntegerAttr(0));
    AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
               k = getAffineDimExpr(2, ctx);
    auto maps = SmallVector<AffineMap>{AffineMap::get(3, 0, {m, k}, ctx),
                                       AffineMap::get(3, 0, {n, k}, ctx),
                                       AffineMap::get(3, 0, {m, n}, ctx)};
    Value acc =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{resultType}, ValueRange{adaptor.getLhs(), w},
            ValueRange{zero}, maps, ArrayRef<IteratorType>{kPar, kPar, kRed},
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value a = arith::ExtSIOp::create(b, l, b.getI32Type(), args[0]);
              Value t = arith::ExtSIOp::create(b, l, b.getI32Type(), args[1]);
              Value prod = arith::MulIOp::create(b, l, a, t);
              linalg::YieldOp::create(
                  b, l, arith::AddIOp::create(b, l, args[2], prod).getResult());
            })
            .getResult(0);
    rewriter.replaceOp(op, acc);
    return success();
  }
};

struct RescaleLowering : OpConversionPattern<RescaleOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RescaleOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto resultType = op.getResult().getType();
    Value init = emptyTensor(rewriter, loc, resultType.getShape(),
                             rewriter.getF32Type());
    AffineMap id = rewriter.getMultiDimIdentityMap(2);
    AffineMap row = AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx);
    Value beta = adaptor.getWeightScale();
    Value y = linalg::GenericOp::create(
                  rewriter, loc, TypeRange{resultType},
                  ValueRange{adaptor.getAcc(), adaptor.getActScale()},
                  ValueRange{init}, ArrayRef<AffineMap>{id, row, id},
                  ArrayRef<IteratorType>{kPar, kPar},
                  [&](OpBuilder &b, Location l, ValueRange args) {
                    Value f = arith::DivFOp::create(b, l, beta, args[1]);
                    Value acc = arith::SIToFPOp::create(b, l, b.getF32Type(),
                                                        args[0]);
                    linalg::YieldOp::create(
                        b, l, arith::MulFOp::create(b, l, acc, f).getResult());
                  })
                  .getResult(0);
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// h = (r * r) * up with r = maxnum(gate, 0): elementwise, so that
/// tern-fuse-elementwise can fuse it with the rescaling of its operands.
struct SquaredReluGateLowering : OpConversionPattern<SquaredReluGateOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SquaredReluGateOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getResult().getType();
    Value init = emptyTensor(rewriter, loc, type.getShape(), rewriter.getF32Type());
    AffineMap id = rewriter.getMultiDimIdentityMap(2);
    Value h = linalg::GenericOp::create(
                  rewriter, loc, TypeRange{type},
                  ValueRange{adaptor.getGate(), adaptor.getUp()}, ValueRange{init},
                  ArrayRef<AffineMap>{id, id, id},
                  ArrayRef<IteratorType>{kPar, kPar},
                  [&](OpBuilder &b, Location l, ValueRange args) {
                    Value r = arith::MaxNumFOp::create(b, l, args[0],
                                                       f32Const(b, l, 0.0f));
                    Value sq = arith::MulFOp::create(b, l, r, r);
                    linalg::YieldOp::create(
                        b, l, arith::MulFOp::create(b, l, sq, args[1]).getResult());
                  })
                  .getResult(0);
    rewriter.replaceOp(op, h);
    return success();
  }
};

struct PackLowering : OpConversionPattern<PackOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PackOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, buildPack(rewriter, op.getLoc(), adaptor.getSource(),
                                     op.getResult().getType().getLayout()));
    return success();
  }
};

struct UnpackLowering : OpConversionPattern<UnpackOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(UnpackOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    WeightsType type = op.getSource().getType();
    rewriter.replaceOp(op, buildUnpack(rewriter, op.getLoc(), adaptor.getSource(),
                                       type.getLayout(), type.getCols()));
    return success();
  }
};

struct ConvertTernToLinalgPass
    : mlir::tern::impl::ConvertTernToLinalgBase<ConvertTernToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    TernToLinalgTypeConverter converter;
    RewritePatternSet patterns(ctx);
    populateTernToLinalgPatterns(converter, patterns);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    populateReturnOpTypeConversionPattern(patterns, converter);

    ConversionTarget target(*ctx);
    target.addIllegalDialect<TernDialect>();
    target.addLegalDialect<arith::ArithDialect, bufferization::BufferizationDialect,
                           linalg::LinalgDialect, math::MathDialect,
                           memref::MemRefDialect, tensor::TensorDialect>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
      return converter.isSignatureLegal(op.getFunctionType()) &&
             converter.isLegal(&op.getBody());
    });
    target.addDynamicallyLegalOp<func::CallOp, func::ReturnOp>(
        [&](Operation *op) { return converter.isLegal(op); });
    target.markUnknownOpDynamicallyLegal(
        [&](Operation *op) { return converter.isLegal(op); });
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::tern::populateTernToLinalgPatterns(const TypeConverter &converter,
                                              RewritePatternSet &patterns) {
  populateDecomposeBitLinearPatterns(patterns);
  patterns.add<ConstantLowering, WeightLowering, AbsmeanQuantizeLowering,
               QuantizeActLowering, MatmulLowering, RescaleLowering,
               SquaredReluGateLowering, PackLowering, UnpackLowering>(
      converter, patterns.getContext());
}
