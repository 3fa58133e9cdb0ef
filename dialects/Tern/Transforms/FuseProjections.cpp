//===- FuseProjections.cpp - One matmul for BitLinears on one input -------===//
//
// See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "dialects/Tern/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNFUSEPROJECTIONS
#include "dialects/Tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

/// The unplanned, unpacked tern.weight a BitLinear reads, or null.
WeightOp fusableWeight(BitLinearOp op) {
  auto w = op.getWeights().getDefiningOp<WeightOp>();
  if (!w || w.getOffset() || op.getKernelAttr() ||
      op.getWeights().getType().isPacked())
    return {};
  return w;
}

/// Whether every user of the group's results comes after its last member.
bool usesFollowTheGroup(ArrayRef<BitLinearOp> group) {
  Operation *last = group.back();
  for (BitLinearOp op : group)
    for (Operation *user : op.getResult().getUsers())
      if (user->getBlock() == last->getBlock() &&
          !last->isBeforeInBlock(user))
        return false;
  return true;
}

void fuse(ArrayRef<BitLinearOp> group) {
  BitLinearOp last = group.back();
  OpBuilder b(last);
  Location loc = last.getLoc();
  Value in = last.getInput();
  auto inType = cast<RankedTensorType>(in.getType());
  const int64_t m = inType.getDimSize(0), k = inType.getDimSize(1);
  std::string name;
  int64_t rows = 0;
  for (BitLinearOp op : group) {
    WeightOp w = fusableWeight(op);
    name += (name.empty() ? "" : "+") + w.getName().str();
    rows += op.getWeights().getType().getRows();
  }
  WeightOp first = fusableWeight(group.front());
  Value stacked = WeightOp::create(
      b, loc, WeightsType::get(b.getContext(), rows, k), first.getBlob(),
      b.getStringAttr(name), IntegerAttr());
  auto quant = QuantizeActOp::create(
      b, loc, RankedTensorType::get({m, k}, b.getI8Type()),
      RankedTensorType::get({m}, b.getF32Type()), in);
  Value acc = MatmulOp::create(
      b, loc, RankedTensorType::get({m, rows}, b.getI32Type()),
      quant.getOutput(), stacked, KernelAttr());
  int64_t col = 0;
  for (BitLinearOp op : group) {
    const int64_t n = op.getWeights().getType().getRows();
    Value part = tensor::ExtractSliceOp::create(
        b, loc, acc,
        ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(col)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(m), b.getIndexAttr(n)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
    Value y = RescaleOp::create(b, loc, op.getResult().getType(), part,
                                quant.getScale(), op.getWeightScale());
    op.getResult().replaceAllUsesWith(y);
    col += n;
  }
  for (BitLinearOp op : group) {
    WeightOp w = fusableWeight(op);
    op.erase();
    if (w->use_empty())
      w.erase();
  }
}

struct TernFuseProjectionsPass
    : mlir::tern::impl::TernFuseProjectionsBase<TernFuseProjectionsPass> {
  void runOnOperation() override {
    // Groups of BitLinears reading the same value from the same blob, in
    // program order.
    llvm::MapVector<std::pair<Value, Value>, SmallVector<BitLinearOp>> groups;
    getOperation().walk([&](BitLinearOp op) {
      if (WeightOp w = fusableWeight(op))
        groups[{op.getInput(), w.getBlob()}].push_back(op);
    });
    for (auto &[key, group] : groups) {
      if (group.size() < 2 ||
          llvm::any_of(group, [&](BitLinearOp op) {
            return op->getBlock() != group.front()->getBlock();
          }) ||
          !usesFollowTheGroup(group))
        continue;
      fuse(group);
    }
  }
};

} // namespace
