//===- SelectKernels.cpp - Layouts and kernels for a target ---------------===//
//
// See the pass description in Passes.td; the choices themselves are
// KernelSelection.h's.
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/KernelSelection.h"
#include "compiler/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"

#include <optional>

namespace mlir::tern {
#define GEN_PASS_DEF_TERNSELECTKERNELS
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

/// Whether `v` reads a blob weight (directly, or through the pack this
/// pass inserts): only those matmuls can run generated kernels.
bool readsBlobWeight(Value v) {
  if (auto pack = v.getDefiningOp<PackOp>())
    v = pack.getSource();
  return v.getDefiningOp<WeightOp>() != nullptr;
}

struct TernSelectKernelsPass
    : mlir::tern::impl::TernSelectKernelsBase<TernSelectKernelsPass> {
  using TernSelectKernelsBase::TernSelectKernelsBase;

  LogicalResult initialize(MLIRContext *) override {
    llvm::Expected<Target> t = resolveTarget(target);
    if (!t) {
      error_ = "target: " + llvm::toString(t.takeError());
      return success(); // reported when the pass runs, on the module
    }
    if (!tuningDb.empty()) {
      llvm::Expected<TuningDb> db = TuningDb::load(tuningDb);
      if (!db) {
        error_ = llvm::toString(db.takeError());
        return success();
      }
      db_ = std::move(*db);
    }
    const Packing *preferred = nullptr;
    if (!packing.empty() && !(preferred = findPacking(packing))) {
      error_ = "packing: unknown packing '" + packing + "' (" +
               packingNames() + ")";
      return success();
    }
    if (prefetchLocality > 3) {
      error_ = "prefetch-locality: " + std::to_string(prefetchLocality) +
               " is not one of LLVM's prefetch hints 0 to 3";
      return success();
    }
    if (prefetch > KernelAttr::kMaxPrefetch) {
      error_ = "prefetch: " + std::to_string(prefetch) +
               " bytes is more than " +
               std::to_string(KernelAttr::kMaxPrefetch);
      return success();
    }
    if (attentionStagedFrom < 0) {
      error_ = "attention-staged-from: " + std::to_string(attentionStagedFrom) +
               " positions is negative (0: never)";
      return success();
    }
    if (attentionValuePanel < 0 || attentionValuePanel % kValuePanelMultiple) {
      error_ = "attention-value-panel: " + std::to_string(attentionValuePanel) +
               " lanes is not a multiple of " +
               std::to_string(kValuePanelMultiple) + " (0: whole rows)";
      return success();
    }
    selector_.emplace(std::move(*t), db_ ? &*db_ : nullptr, preferred,
                      prefetch, prefetchLocality);
    error_ = selector_->checkDatabase(tuningDb);
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!error_.empty()) {
      module.emitError() << error_;
      return signalPassFailure();
    }
    chooseLayouts(module);
    chooseKernels(module);
    module.walk([&](LmHeadOp head) { chooseHead(head); });
    module.walk([&](AttentionOp att) { chooseAttention(att); });
    if (failed(chooseValuePanels(module)))
      return signalPassFailure();
  }

private:
  /// Decode attention (one row) in stages from the option's number of
  /// positions; a value already set stays.
  void chooseAttention(AttentionOp att) {
    if (attentionStagedFrom > 0 && !att.getStagedFromAttr() &&
        att.getQuery().getType().getDimSize(0) == 1)
      att.setStagedFrom(static_cast<uint64_t>(attentionStagedFrom));
  }

  /// The value cache's panels on every attention op whose head width the
  /// option divides (a value already set stays); the ops share the caches,
  /// so they must all agree.
  LogicalResult chooseValuePanels(ModuleOp module) {
    std::optional<uint64_t> first;
    Operation *firstOp = nullptr;
    WalkResult r = module.walk([&](Operation *op) {
      auto visit = [&](auto att) {
        if (attentionValuePanel > 0 && !att.getValuePanelAttr() &&
            att.getHeadDim() % attentionValuePanel == 0)
          att.setValuePanel(static_cast<uint64_t>(attentionValuePanel));
        const uint64_t p = att.getValuePanel().value_or(0);
        if (!firstOp) {
          first = p;
          firstOp = op;
          return WalkResult::advance();
        }
        if (p == *first)
          return WalkResult::advance();
        op->emitError() << "value_panel " << p << " differs from "
                        << *first << " of an earlier attention op: the "
                        << "attention ops share the value cache, so they "
                        << "must lay it out alike (0: whole rows)";
        firstOp->emitRemark() << "the earlier attention op, value_panel "
                              << *first;
        return WalkResult::interrupt();
      };
      if (auto att = dyn_cast<AttentionOp>(op))
        return visit(att);
      if (auto att = dyn_cast<BatchAttentionOp>(op))
        return visit(att);
      return WalkResult::advance();
    });
    return failure(r.wasInterrupted());
  }

  /// A head's prefetch distance for its token rows; for the native head
  /// over several token rows, all wanted, the tile of sums the target's
  /// vector registers hold; for the integer heads (q4, int8 of either
  /// token rows), the target's best multiply-add of byte quads. Attributes
  /// already set stay.
  void chooseHead(LmHeadOp head) {
    const int64_t rows = head.getInput().getType().getDimSize(0);
    if (const int64_t p = selector_->prefetch(rows);
        p && !head.getPrefetchAttr()) {
      head.setPrefetch(p);
      if (selector_->locality() != KernelAttr::kDefaultLocality)
        head.setPrefetchLocality(selector_->locality());
    }
    const bool native = head.getFormat() == HeadFormat::native;
    if (rows > 1 && !head.getFirstRow() && !head.getTileAttr() && native)
      head.setTile(KernelSelector::headTile(
          selector_->target().vectorRegisters(), rows));
    if (!native && !head.getDotAttr())
      if (const KernelFamily *f = quadDotFamilyFor(selector_->target()))
        head.setDot(f->name);
  }

private:
  /// Packs every unpacked ternary blob weight that a matmul reads.
  void chooseLayouts(ModuleOp module) {
    // Weights the requested packing does not reach, by shape.
    llvm::MapVector<std::pair<int64_t, int64_t>, SmallVector<WeightOp>> missed;
    module.walk([&](WeightOp w) {
      auto type = dyn_cast<WeightsType>(w.getResult().getType());
      if (!type || type.isPacked() ||
          llvm::none_of(w->getUsers(), [](Operation *u) {
            return isa<BitLinearOp, MatmulOp>(u);
          }))
        return;
      const int64_t n = type.getRows(), k = type.getCols();
      if (!selector_->whyNotPreferred(n, k).empty())
        missed[{n, k}].push_back(w);
      const Layout layout = selector_->layout(n, k);
      if (!layout)
        return; // unpacked: the reference lowering reads it as it is
      OpBuilder b(w->getContext());
      b.setInsertionPointAfter(w);
      auto packed = type.withLayout(
          LayoutAttr::get(w->getContext(), layout.packing, layout.block));
      Value p = PackOp::create(b, w.getLoc(), packed, w.getResult());
      w.getResult().replaceAllUsesExcept(p, p.getDefiningOp());
    });
    for (auto &[shape, weights] : missed) {
      auto [n, k] = shape;
      llvm::SetVector<StringRef> names;
      for (WeightOp w : weights)
        names.insert(w.getName());
      weights.front().emitWarning()
          << "packing " << packing << " is not used for " << names.size()
          << " weight" << (names.size() == 1 ? "" : "s") << " of " << n << "x"
          << k << " ('" << names.front() << "'"
          << (names.size() > 1 ? ", ..." : "")
          << "): " << selector_->whyNotPreferred(n, k) << "; stored as "
          << selector_->layout(n, k).str();
    }
  }

  /// Gives each matmul on a packed blob weight its kernel.
  void chooseKernels(ModuleOp module) {
    auto choose = [&](Operation *op, Value lhs, Value weights) {
      if (op->hasAttr("kernel") || !readsBlobWeight(weights))
        return;
      auto w = cast<WeightsType>(weights.getType());
      if (!w.isPacked())
        return;
      const int64_t m = cast<ShapedType>(lhs.getType()).getDimSize(0);
      KernelChoice c = selector_->kernel(m, w.getRows(), w.getCols(),
                                         w.getLayout().getLayout());
      if (c)
        op->setAttr("kernel", c.attr(op->getContext()));
    };
    module.walk([&](Operation *op) {
      if (auto bl = dyn_cast<BitLinearOp>(op))
        choose(op, bl.getInput(), bl.getWeights());
      else if (auto mm = dyn_cast<MatmulOp>(op))
        choose(op, mm.getLhs(), mm.getWeights());
    });
  }

  std::string error_;
  std::optional<TuningDb> db_;
  std::optional<KernelSelector> selector_;
};

} // namespace
