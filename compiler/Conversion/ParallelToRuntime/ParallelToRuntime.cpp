//===- ParallelToRuntime.cpp - Parallel calls through the runtime pool ----===//
//
// See the pass description in compiler/Conversion/Passes.td.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/ParallelToRuntime/ParallelToRuntime.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "runtime/compiled/tern_abi.h"

namespace mlir::tern {
#define GEN_PASS_DEF_CONVERTPARALLELTORUNTIME
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

Value mlir::tern::memrefAtPointer(OpBuilder &b, Location loc, Value p,
                                  MemRefType type) {
  MLIRContext *ctx = b.getContext();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto i64 = b.getI64Type();
  // The descriptor {allocated, aligned, offset, sizes, strides}.
  const int64_t rank = type.getRank();
  auto arr = LLVM::LLVMArrayType::get(i64, rank);
  auto descType = LLVM::LLVMStructType::getLiteral(
      ctx, rank ? ArrayRef<Type>{ptr, ptr, i64, arr, arr}
                : ArrayRef<Type>{ptr, ptr, i64});
  Value d = LLVM::PoisonOp::create(b, loc, descType);
  auto c64 = [&](int64_t v) -> Value {
    return LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(v));
  };
  d = LLVM::InsertValueOp::create(b, loc, d, p, ArrayRef<int64_t>{0});
  d = LLVM::InsertValueOp::create(b, loc, d, p, ArrayRef<int64_t>{1});
  d = LLVM::InsertValueOp::create(b, loc, d, c64(0), ArrayRef<int64_t>{2});
  int64_t stride = 1;
  for (int64_t dim = rank - 1; dim >= 0; --dim) {
    d = LLVM::InsertValueOp::create(b, loc, d, c64(type.getDimSize(dim)),
                                    ArrayRef<int64_t>{3, dim});
    d = LLVM::InsertValueOp::create(b, loc, d, c64(stride),
                                    ArrayRef<int64_t>{4, dim});
    stride *= type.getDimSize(dim);
  }
  return UnrealizedConversionCastOp::create(b, loc, TypeRange{type}, d)
      .getResult(0);
}

namespace {

/// `task(args, begin, end)`: loads the memrefs' aligned pointers from
/// `args` (one i64 each), rebuilds their descriptors, calls `callee` with
/// them and [begin, end).
func::FuncOp getOrCreateTask(ModuleOp module, func::FuncOp callee) {
  const std::string name = (callee.getName() + "_task").str();
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  MLIRContext *ctx = module.getContext();
  OpBuilder b(ctx);
  Location loc = callee.getLoc();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto i64 = b.getI64Type();
  b.setInsertionPointToEnd(module.getBody());
  auto task = func::FuncOp::create(
      b, loc, name,
      b.getFunctionType({ptr, b.getIndexType(), b.getIndexType()}, {}));
  task.setPrivate();
  Block *entry = task.addEntryBlock();
  b.setInsertionPointToStart(entry);
  SmallVector<Value> operands;
  const unsigned numMemrefs = callee.getNumArguments() - 2;
  for (unsigned i = 0; i < numMemrefs; ++i) {
    auto type = cast<MemRefType>(callee.getArgumentTypes()[i]);
    Value slot =
        LLVM::GEPOp::create(b, loc, ptr, i64, entry->getArgument(0),
                            ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
    Value addr = LLVM::LoadOp::create(b, loc, i64, slot);
    Value p = LLVM::IntToPtrOp::create(b, loc, ptr, addr);
    operands.push_back(memrefAtPointer(b, loc, p, type));
  }
  operands.push_back(entry->getArgument(1));
  operands.push_back(entry->getArgument(2));
  func::CallOp::create(b, loc, callee, operands);
  func::ReturnOp::create(b, loc);
  return task;
}

func::FuncOp getOrDeclareParallelFor(ModuleOp module) {
  if (auto f = module.lookupSymbol<func::FuncOp>(TERN_ABI_PARALLEL_FOR_FN))
    return f;
  MLIRContext *ctx = module.getContext();
  OpBuilder b(ctx);
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto taskType =
      b.getFunctionType({ptr, b.getIndexType(), b.getIndexType()}, {});
  b.setInsertionPointToEnd(module.getBody());
  auto f = func::FuncOp::create(
      b, module.getLoc(), TERN_ABI_PARALLEL_FOR_FN,
      b.getFunctionType(
          {taskType, ptr, b.getIndexType(), b.getIndexType(), b.getIndexType()},
          {}));
  f.setPrivate();
  return f;
}

struct ConvertParallelToRuntimePass
    : mlir::tern::impl::ConvertParallelToRuntimeBase<
          ConvertParallelToRuntimePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::CallOp> calls;
    module.walk([&](func::CallOp call) {
      if (call->hasAttr(kParallelCallAttr))
        calls.push_back(call);
    });
    for (func::CallOp call : calls) {
      // Blocks per thread: the attribute's value, 1 (a static split) for a
      // unit attribute.
      int64_t blocks = 1;
      Attribute mark = call->getAttr(kParallelCallAttr);
      if (auto i = dyn_cast<IntegerAttr>(mark)) {
        blocks = i.getInt();
      } else if (!isa<UnitAttr>(mark)) {
        call.emitError("tern.parallel must be a unit attribute or the "
                       "blocks per thread (an integer)");
        return signalPassFailure();
      }
      if (blocks < 1 || blocks > 1024) {
        call.emitError() << "tern.parallel = " << blocks
                         << ": blocks per thread must be 1 to 1024";
        return signalPassFailure();
      }
      // The most items of a block: tern.block, or 0 (no bound).
      int64_t maxBlock = 0;
      if (Attribute a = call->getAttr(kBlockCallAttr)) {
        auto i = dyn_cast<IntegerAttr>(a);
        if (!i || i.getInt() < 1) {
          call.emitError("tern.block must be the most items of a block (an "
                         "integer of at least 1)");
          return signalPassFailure();
        }
        maxBlock = i.getInt();
      }
      auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
      const unsigned n = call.getNumOperands();
      if (!callee || n < 2 || !call.getOperand(n - 1).getType().isIndex() ||
          !call.getOperand(n - 2).getType().isIndex()) {
        call.emitError("a tern.parallel call needs (memrefs..., begin, end)");
        return signalPassFailure();
      }
      auto begin =
          call.getOperand(n - 2).getDefiningOp<arith::ConstantIndexOp>();
      if (!begin || begin.value() != 0) {
        call.emitError("a tern.parallel call must start at 0");
        return signalPassFailure();
      }
      bool ok = true;
      for (unsigned i = 0; i + 2 < n; ++i)
        ok &= isRebuildable(call.getOperand(i).getType());
      if (!ok) {
        call.emitError("tern.parallel call operands must be static, "
                       "identity-layout memrefs");
        return signalPassFailure();
      }
      func::FuncOp task = getOrCreateTask(module, callee);
      func::FuncOp parallelFor = getOrDeclareParallelFor(module);
      OpBuilder b(call);
      Location loc = call.getLoc();
      MLIRContext *ctx = b.getContext();
      auto ptr = LLVM::LLVMPointerType::get(ctx);
      // The memrefs' aligned pointers, in a small stack array.
      const int64_t numMemrefs = n - 2;
      Value args = memref::AllocaOp::create(
          b, loc, MemRefType::get({numMemrefs}, b.getIndexType()));
      for (int64_t i = 0; i < numMemrefs; ++i) {
        Value p = memref::ExtractAlignedPointerAsIndexOp::create(
            b, loc, call.getOperand(i));
        memref::StoreOp::create(
            b, loc, p, args,
            ValueRange{arith::ConstantIndexOp::create(b, loc, i)});
      }
      Value argsAddr = arith::IndexCastOp::create(
          b, loc, b.getI64Type(),
          memref::ExtractAlignedPointerAsIndexOp::create(b, loc, args));
      Value argsPtr = LLVM::IntToPtrOp::create(b, loc, ptr, argsAddr);
      Value fn = func::ConstantOp::create(b, loc, task.getFunctionType(),
                                          SymbolRefAttr::get(task));
      auto index = [&](int64_t v) -> Value {
        return arith::ConstantIndexOp::create(b, loc, v);
      };
      func::CallOp::create(b, loc, parallelFor,
                           ValueRange{fn, argsPtr, call.getOperand(n - 1),
                                      index(blocks), index(maxBlock)});
      call.erase();
    }
  }
};

} // namespace
