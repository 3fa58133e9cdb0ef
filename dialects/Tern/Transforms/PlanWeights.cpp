//===- PlanWeights.cpp - Every model parameter's place in the blob --------===//
//
// See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "dialects/Tern/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNPLANWEIGHTS
#include "dialects/Tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

constexpr int64_t kAlign = 64;

int64_t alignUp(int64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

/// tern.pack of an unplanned weight: the weight itself, in the packed type.
void foldPacks(ModuleOp module) {
  SmallVector<PackOp> packs;
  module.walk([&](PackOp op) {
    auto w = op.getSource().getDefiningOp<WeightOp>();
    if (w && !w.getOffset())
      packs.push_back(op);
  });
  for (PackOp op : packs) {
    auto w = op.getSource().getDefiningOp<WeightOp>();
    OpBuilder b(op);
    auto packed =
        WeightOp::create(b, op.getLoc(), op.getResult().getType(),
                         w.getBlob(), w.getNameAttr(), IntegerAttr());
    op.getResult().replaceAllUsesWith(packed.getResult());
    op.erase();
    if (w->use_empty())
      w.erase();
  }
}

/// The blob arguments (memref<?xi8>) of every function get `type`.
void retypeBlobArguments(ModuleOp module, MemRefType type) {
  module.walk([&](func::FuncOp fn) {
    auto isBlob = [](Type t) {
      auto m = dyn_cast<MemRefType>(t);
      return m && m.getRank() == 1 && !m.hasStaticShape() &&
             m.getElementType().isInteger(8);
    };
    SmallVector<Type> inputs(fn.getFunctionType().getInputs());
    bool changed = false;
    for (Type &t : inputs)
      if (isBlob(t))
        t = type, changed = true;
    if (!changed)
      return;
    if (!fn.isExternal())
      for (BlockArgument arg : fn.getArguments())
        if (isBlob(arg.getType()))
          arg.setType(type);
    fn.setFunctionType(
        FunctionType::get(fn.getContext(), inputs,
                          fn.getFunctionType().getResults()));
  });
}

struct TernPlanWeightsPass
    : mlir::tern::impl::TernPlanWeightsBase<TernPlanWeightsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    foldPacks(module);
    // Weights placed already (by hand) keep their place; the rest follow.
    int64_t end = 0;
    module.walk([&](WeightOp w) {
      if (w.getOffset())
        end = std::max<int64_t>(end, static_cast<int64_t>(*w.getOffset()) +
                                         w.getByteSize());
    });
    struct Place {
      int64_t offset;
      Type type;
      WeightOp first;
    };
    llvm::StringMap<Place> places;
    WalkResult r = module.walk([&](WeightOp w) {
      if (w.getOffset())
        return WalkResult::advance();
      auto [it, fresh] = places.try_emplace(
          w.getName(), Place{alignUp(end), w.getResult().getType(), w});
      if (fresh) {
        end = it->second.offset + w.getByteSize();
      } else if (it->second.type != w.getResult().getType()) {
        w.emitError() << "weight '" << w.getName() << "' is used as "
                      << w.getResult().getType() << " here and as "
                      << it->second.type << " elsewhere: one weight has one "
                      << "layout";
        return WalkResult::interrupt();
      }
      w.setOffset(it->second.offset);
      return WalkResult::advance();
    });
    if (r.wasInterrupted())
      return signalPassFailure();
    const int64_t size = alignUp(end);
    retypeBlobArguments(module, MemRefType::get({size}, IntegerType::get(
                                                            &getContext(), 8)));
    module->setAttr("tern.blob_size",
                    IntegerAttr::get(IntegerType::get(&getContext(), 64), size));
    // A blob that was static already must hold every weight.
    module.walk([&](WeightOp w) {
      if (failed(w.verify()))
        signalPassFailure();
    });
  }
};

} // namespace
