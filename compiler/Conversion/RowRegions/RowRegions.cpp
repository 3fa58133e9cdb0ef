//===- RowRegions.cpp - Row-wise layer code as parallel row regions -------===//
//
// See the pass description in compiler/Conversion/Passes.td. Three stages:
// find the runs of row-wise ops (findRuns), describe a run's interface
// (describeRun: which values enter by row, whole or as scalars, which
// leave), and outline it (Outliner: buildRowBody for one row, the range
// function looping it, replaceRun at the call site).
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/RowRegions/RowRegions.h"

#include "compiler/Conversion/Outlining.h"
#include "compiler/Conversion/ParallelToRuntime/ParallelToRuntime.h"
#include "dialects/Tern/IR/TernOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/TypeSwitch.h"

#include <map>

namespace mlir::tern {
#define GEN_PASS_DEF_TERNOUTLINEROWREGIONS
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

/// Blocks per thread of a row region's call (rows are cheap and even, but
/// a late thread should not hold up the others).
constexpr int64_t kRowBlocks = 8;

/// Byte alignment of the buffers the regions write: a cache line, so that
/// the matmul kernels' 64-byte activation loads do not straddle two.
constexpr int64_t kAlignment = 64;

/// A statically shaped tensor whose first dimension is `rows`.
bool hasRows(Type t, int64_t rows) {
  auto r = dyn_cast<RankedTensorType>(t);
  return r && r.hasStaticShape() && r.getRank() >= 1 &&
         r.getDimSize(0) == rows;
}

/// The rows of a row-wise op (each result row r computed from row r of its
/// row operands and from its other operands whole), with the indices of
/// its row operands; 0 rows for any other op.
int64_t rowWise(Operation *op, SmallVectorImpl<unsigned> &rowOperands) {
  rowOperands.clear();
  if (op->getNumResults() == 0 || op->getNumRegions() != 0)
    return 0;
  auto first = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!first || !first.hasStaticShape() || first.getRank() < 1)
    return 0;
  const int64_t rows = first.getDimSize(0);
  // The tern ops say which operands they read by row; of the upstream
  // ops, a residual addition and a slice of whole rows.
  bool known =
      llvm::TypeSwitch<Operation *, bool>(op)
          .Case<RowWiseOpInterface>([&](RowWiseOpInterface rowWise) {
            rowOperands.append(rowWise.getRowOperandIndices());
            return true;
          })
          .Case<arith::AddFOp>([&](auto) {
            rowOperands.append({0, 1});
            return true;
          })
          .Case<tensor::ExtractSliceOp>([&](tensor::ExtractSliceOp s) {
            // Whole rows: a slice of columns only.
            rowOperands.push_back(0);
            return s.hasUnitStride() && s.getStaticOffsets()[0] == 0 &&
                   s.getType().getRank() == s.getSourceType().getRank() &&
                   !ShapedType::isDynamicShape(s.getStaticOffsets()) &&
                   hasRows(s.getSource().getType(), rows);
          })
          .Default([](Operation *) { return false; });
  if (!known)
    return 0;
  for (Value r : op->getResults())
    if (!hasRows(r.getType(), rows))
      return 0;
  for (unsigned i : rowOperands)
    if (!hasRows(op->getOperand(i).getType(), rows))
      return 0;
  // The other operands: whole tensors or f32 scalars.
  for (OpOperand &o : op->getOpOperands()) {
    if (llvm::is_contained(rowOperands, o.getOperandNumber()))
      continue;
    Type t = o.get().getType();
    auto r = dyn_cast<RankedTensorType>(t);
    if (!(r && r.hasStaticShape()) && !t.isF32())
      return 0;
  }
  return rows;
}

/// A run's interface: what enters it (by row, whole, as f32 scalars) and
/// which of its results are used after it.
struct RunInterface {
  int64_t rows = 0;
  llvm::SetVector<Value> rowInputs, wholeInputs, scalars;
  llvm::SetVector<Value> outputs;
};

/// The interface of `run` (ops in block order); fails if a value would
/// enter both by row and whole.
LogicalResult describeRun(ArrayRef<Operation *> run, int64_t rows,
                          RunInterface &io) {
  io.rows = rows;
  llvm::SmallPtrSet<Operation *, 16> inRun(run.begin(), run.end());
  SmallVector<unsigned> rowOperands;
  for (Operation *op : run) {
    rowWise(op, rowOperands);
    for (OpOperand &o : op->getOpOperands()) {
      Value v = o.get();
      if (v.getDefiningOp() && inRun.contains(v.getDefiningOp()))
        continue;
      if (!isa<RankedTensorType>(v.getType()))
        io.scalars.insert(v);
      else if (llvm::is_contained(rowOperands, o.getOperandNumber()))
        io.rowInputs.insert(v);
      else
        io.wholeInputs.insert(v);
    }
    for (Value r : op->getResults())
      for (Operation *user : r.getUsers())
        if (!inRun.contains(user))
          io.outputs.insert(r);
  }
  for (Value v : io.rowInputs)
    if (io.wholeInputs.contains(v))
      return failure();
  return success();
}

/// The memref type of a statically shaped tensor type.
MemRefType memrefOf(Type t) {
  auto r = cast<RankedTensorType>(t);
  return MemRefType::get(r.getShape(), r.getElementType());
}

/// `t` with its first dimension set to 1: the type of one row.
RankedTensorType oneRow(Type t) {
  auto r = cast<RankedTensorType>(t);
  SmallVector<int64_t> shape(r.getShape());
  shape[0] = 1;
  return RankedTensorType::get(shape, r.getElementType());
}

/// The subview of row `r` of `mem` (identity layout, static shape).
Value rowOf(OpBuilder &b, Location loc, Value mem, Value r) {
  auto type = cast<MemRefType>(mem.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes, strides(type.getRank(), b.getIndexAttr(1));
  offsets[0] = r;
  sizes.push_back(b.getIndexAttr(1));
  for (int64_t d = 1; d < type.getRank(); ++d)
    sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
  return memref::SubViewOp::create(b, loc, mem, offsets, sizes, strides);
}

/// The buffers the outlined functions take: row inputs, whole inputs, the
/// scalars' buffer (if any), outputs (as [rows, ...] memrefs). The row
/// function takes the row index after them, the range function begin and
/// end.
SmallVector<Type> bufferTypes(const RunInterface &io, OpBuilder &b) {
  SmallVector<Type> types;
  for (Value v : io.rowInputs)
    types.push_back(memrefOf(v.getType()));
  for (Value v : io.wholeInputs)
    types.push_back(memrefOf(v.getType()));
  if (!io.scalars.empty())
    types.push_back(MemRefType::get(
        {static_cast<int64_t>(io.scalars.size())}, b.getF32Type()));
  for (Value v : io.outputs)
    types.push_back(memrefOf(v.getType()));
  return types;
}

/// Clones `op` for one row: results of one row, a column slice of one row.
Operation *cloneForOneRow(OpBuilder &b, Operation *op, IRMapping &map) {
  if (auto s = dyn_cast<tensor::ExtractSliceOp>(op)) {
    SmallVector<int64_t> sizes(s.getStaticSizes());
    sizes[0] = 1;
    SmallVector<OpFoldResult> offsets, sz, strides;
    for (int64_t o : s.getStaticOffsets())
      offsets.push_back(b.getIndexAttr(o));
    for (int64_t n : sizes)
      sz.push_back(b.getIndexAttr(n));
    for (int64_t st : s.getStaticStrides())
      strides.push_back(b.getIndexAttr(st));
    auto clone = tensor::ExtractSliceOp::create(
        b, s.getLoc(), oneRow(s.getType()), map.lookup(s.getSource()),
        offsets, sz, strides);
    map.map(s.getResult(), clone.getResult());
    return clone;
  }
  Operation *clone = b.clone(*op, map);
  for (Value r : clone->getResults())
    r.setType(oneRow(r.getType()));
  return clone;
}

/// Whether the ops of `run` can read row input `v` where it is (a row of a
/// larger buffer): true when every user lowers through linalg, which reads
/// strided rows; the network patterns read identity-layout buffers, so a
/// row they read is copied into a buffer of its own first.
bool readInPlace(Value v, ArrayRef<Operation *> run) {
  return llvm::all_of(v.getUsers(), [&](Operation *user) {
    return !llvm::is_contained(run, user) ||
           isa<RescaleOp, QuantizeActOp, SquaredReluGateOp, arith::AddFOp,
               tensor::ExtractSliceOp>(user);
  });
}

/// Fills the body of `fn(buffers..., %r)`: row r of the row inputs (copied
/// into one-row buffers where readInPlace says so), the run's ops on one
/// row, row r of each output.
void buildRowBody(OpBuilder &b, func::FuncOp fn, ArrayRef<Operation *> run,
                  const RunInterface &io) {
  Location loc = fn.getLoc();
  Block *body = fn.addEntryBlock();
  b.setInsertionPointToStart(body);
  Value r = body->getArguments().back();
  IRMapping map;
  unsigned arg = 0;
  for (Value v : io.rowInputs) {
    Value row = rowOf(b, loc, body->getArgument(arg++), r);
    if (!readInPlace(v, run)) {
      Value copy = memref::AllocaOp::create(
          b, loc, memrefOf(oneRow(v.getType())), b.getI64IntegerAttr(kAlignment));
      memref::CopyOp::create(b, loc, row, copy);
      row = copy;
    }
    map.map(v, bufferization::ToTensorOp::create(b, loc, oneRow(v.getType()),
                                                 row, /*restrict=*/true,
                                                 /*writable=*/false));
  }
  for (Value v : io.wholeInputs)
    map.map(v, bufferization::ToTensorOp::create(b, loc, v.getType(),
                                                 body->getArgument(arg++),
                                                 /*restrict=*/true,
                                                 /*writable=*/false));
  if (!io.scalars.empty()) {
    Value buf = body->getArgument(arg++);
    for (auto [i, v] : llvm::enumerate(io.scalars))
      map.map(v, memref::LoadOp::create(
                     b, loc, buf,
                     ValueRange{arith::ConstantIndexOp::create(b, loc, i)}));
  }
  for (Operation *op : run)
    cloneForOneRow(b, op, map);
  for (Value v : io.outputs) {
    auto store = bufferization::MaterializeInDestinationOp::create(
        b, loc, map.lookup(v), rowOf(b, loc, body->getArgument(arg++), r));
    store.setRestrict(true);
    store.setWritable(true);
  }
  func::ReturnOp::create(b, loc);
}

/// Builds the outlined functions and replaces the run with their call.
class Outliner {
public:
  explicit Outliner(ModuleOp module) : module_(module), b_(module.getContext()) {}

  void replaceRun(ArrayRef<Operation *> run, const RunInterface &io,
                  StringRef prefix) {
    func::FuncOp range = rangeFunction(run, io, prefix);
    Operation *last = run.back();
    Location loc = last->getLoc();
    b_.setInsertionPointAfter(last);
    SmallVector<Value> operands;
    auto buffer = [&](Value t) -> Value {
      return bufferization::ToBufferOp::create(b_, loc, memrefOf(t.getType()),
                                               t, /*readOnly=*/true);
    };
    for (Value v : io.rowInputs)
      operands.push_back(buffer(v));
    for (Value v : io.wholeInputs)
      operands.push_back(buffer(v));
    if (!io.scalars.empty()) {
      Value buf = memref::AllocaOp::create(
          b_, loc,
          MemRefType::get({static_cast<int64_t>(io.scalars.size())},
                          b_.getF32Type()));
      for (auto [i, v] : llvm::enumerate(io.scalars))
        memref::StoreOp::create(
            b_, loc, v, buf,
            ValueRange{arith::ConstantIndexOp::create(b_, loc, i)});
      operands.push_back(buf);
    }
    SmallVector<Value> outputs;
    for (Value v : io.outputs) {
      outputs.push_back(memref::AllocOp::create(
          b_, loc, memrefOf(v.getType()), b_.getI64IntegerAttr(kAlignment)));
      operands.push_back(outputs.back());
    }
    operands.push_back(arith::ConstantIndexOp::create(b_, loc, 0));
    operands.push_back(arith::ConstantIndexOp::create(b_, loc, io.rows));
    auto call = func::CallOp::create(b_, loc, range, operands);
    call->setAttr(kParallelCallAttr, b_.getI64IntegerAttr(kRowBlocks));
    for (auto [v, buf] : llvm::zip(io.outputs, outputs)) {
      Value t = bufferization::ToTensorOp::create(b_, loc, v.getType(), buf,
                                                  /*restrict=*/true,
                                                  /*writable=*/true);
      Value(v).replaceUsesWithIf(t, [&](OpOperand &use) {
        return !llvm::is_contained(run, use.getOwner());
      });
    }
    for (Operation *op : llvm::reverse(run))
      op->erase();
  }

private:
  /// `prefix_rows<k>(buffers..., %begin, %end)`, looping the row function
  /// (an existing pair where one with the same code exists).
  func::FuncOp rangeFunction(ArrayRef<Operation *> run, const RunInterface &io,
                             StringRef prefix) {
    SmallVector<Type> types = bufferTypes(io, b_);
    std::string name = (prefix + "_rows" + Twine(counts_[prefix.str()]++)).str();
    b_.setInsertionPointToEnd(module_.getBody());
    Location loc = run.front()->getLoc();
    SmallVector<Type> rowTypes(types);
    rowTypes.push_back(b_.getIndexType());
    auto row = func::FuncOp::create(b_, loc, name + "_row",
                                    b_.getFunctionType(rowTypes, {}));
    row.setPrivate();
    OpBuilder inner(module_.getContext());
    buildRowBody(inner, row, run, io);
    auto [it, fresh] =
        built_.try_emplace(printedBody(row, "row"), func::FuncOp());
    if (!fresh) {
      row.erase();
      return it->second;
    }
    SmallVector<Type> rangeTypes(types);
    rangeTypes.append({b_.getIndexType(), b_.getIndexType()});
    b_.setInsertionPointToEnd(module_.getBody());
    auto range = func::FuncOp::create(b_, loc, name,
                                      b_.getFunctionType(rangeTypes, {}));
    range.setPrivate();
    Block *body = range.addEntryBlock();
    inner.setInsertionPointToStart(body);
    auto loop = scf::ForOp::create(
        inner, loc, body->getArgument(types.size()),
        body->getArgument(types.size() + 1),
        arith::ConstantIndexOp::create(inner, loc, 1));
    inner.setInsertionPointToStart(loop.getBody());
    SmallVector<Value> args(body->getArguments().take_front(types.size()));
    args.push_back(loop.getInductionVar());
    func::CallOp::create(inner, loc, row, args);
    inner.setInsertionPointToEnd(body);
    func::ReturnOp::create(inner, loc);
    it->second = range;
    return range;
  }

  ModuleOp module_;
  OpBuilder b_;
  std::map<std::string, int> counts_;
  std::map<std::string, func::FuncOp> built_;
};

/// The maximal runs of row-wise ops of equal rows >= 2 in `block`, in
/// order. An op that is not row-wise ends the current run if it uses one
/// of the run's results (or has regions or side effects); otherwise it
/// stays where it is and the run goes on past it.
void findRuns(Block &block,
              SmallVectorImpl<std::pair<SmallVector<Operation *>, int64_t>> &runs) {
  SmallVector<Operation *> run;
  llvm::SmallPtrSet<Operation *, 16> inRun;
  int64_t runRows = 0;
  auto close = [&] {
    if (!run.empty())
      runs.push_back({run, runRows});
    run.clear();
    inRun.clear();
  };
  SmallVector<unsigned> rowOperands;
  for (Operation &op : block) {
    const int64_t rows = rowWise(&op, rowOperands);
    if (rows >= 2 && (run.empty() || rows == runRows)) {
      run.push_back(&op);
      inRun.insert(&op);
      runRows = rows;
      continue;
    }
    bool usesRun = llvm::any_of(op.getOperands(), [&](Value v) {
      return v.getDefiningOp() && inRun.contains(v.getDefiningOp());
    });
    if (usesRun || rows >= 2 || op.getNumRegions() != 0 ||
        op.hasTrait<OpTrait::IsTerminator>() || !isPure(&op))
      close();
    if (rows >= 2) {
      run.push_back(&op);
      inRun.insert(&op);
      runRows = rows;
    }
  }
  close();
}

struct TernOutlineRowRegionsPass
    : mlir::tern::impl::TernOutlineRowRegionsBase<TernOutlineRowRegionsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> fns(module.getOps<func::FuncOp>());
    Outliner outliner(module);
    for (func::FuncOp fn : fns) {
      if (fn.isExternal())
        continue;
      SmallVector<std::pair<SmallVector<Operation *>, int64_t>> runs;
      for (Block &block : fn.getBody())
        findRuns(block, runs);
      for (auto &[run, rows] : runs) {
        RunInterface io;
        if (failed(describeRun(run, rows, io)) || io.outputs.empty())
          continue;
        outliner.replaceRun(run, io, fn.getName());
      }
    }
  }
};

} // namespace
