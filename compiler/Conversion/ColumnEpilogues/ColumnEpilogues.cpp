//===- ColumnEpilogues.cpp - One-row layer code on the matmul's threads ---===//
//
// See the pass description in compiler/Conversion/Passes.td. Three stages:
// match a one-row kernel call and the elementwise generics that read its
// sums (matchEpilogue), move the call and those generics into one range
// function called in the kernel call's place (outline), and where the
// caller only copies an output into its own argument afterwards, have the
// range function write it there (writeIntoDestination).
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/ColumnEpilogues/ColumnEpilogues.h"

#include "compiler/Conversion/Outlining.h"
#include "compiler/Conversion/ParallelToRuntime/ParallelToRuntime.h"
#include "compiler/Conversion/TernToKernels/TernToKernels.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

#include <map>
#include <string>

namespace mlir::tern {
#define GEN_PASS_DEF_TERNOUTLINECOLUMNEPILOGUES
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

/// One row of values that a range function can take (isRebuildable):
/// memref<1 x columns x T>; its columns, or 0.
int64_t rowColumns(Type t) {
  auto m = dyn_cast<MemRefType>(t);
  if (!isRebuildable(t) || m.getRank() != 2 || m.getDimSize(0) != 1)
    return 0;
  return m.getDimSize(1);
}

/// An elementwise generic over one row that reads columns of the sums.
struct Consumer {
  linalg::GenericOp op;
  int64_t columns = 0;
  /// Its inputs that are columns [offset, offset + columns) of the sums:
  /// (input number, offset).
  SmallVector<std::pair<unsigned, int64_t>> slices;
};

/// A one-row kernel call and every consumer of its sums.
struct Epilogue {
  func::CallOp call;
  Value sums;
  int64_t unitColumns = 0; // columns per unit of the kernel's range
  int64_t units = 0;       // the kernel's range
  SmallVector<Consumer> consumers;
  SmallVector<Operation *> sliceOps;  // the subviews of the sums
  SmallVector<Operation *> hoisted;   // consumers' output buffers after it
  /// Constants the consumers' bodies capture: f32 scalars (the weight
  /// scales, which differ between layers) enter through a small buffer,
  /// so that every layer's range function comes out the same; the others
  /// are cloned.
  llvm::SetVector<Operation *> constants;
  SmallVector<Value> scalars;
  /// Stacked: one consumer reads several slices of its width (gate and up
  /// of a fused matmul); the range is over its columns and the kernel runs
  /// once per slice. Otherwise the range is the kernel's, and each
  /// consumer computes the part of its slice that a range covers.
  bool stacked = false;
  /// The range function's buffers: the kernel's, then the consumers'.
  llvm::SetVector<Value> buffers;
};

/// The first column of the sums that `v` is, where `v` is the sums or a
/// unit-stride subview of one row of them; `width` gets its columns.
std::optional<int64_t> sliceOffset(Value v, Value sums, int64_t &width) {
  if (v == sums) {
    width = rowColumns(sums.getType());
    return 0;
  }
  auto sub = v.getDefiningOp<memref::SubViewOp>();
  if (!sub || sub.getSource() != sums || !sub.hasUnitStride() ||
      ShapedType::isDynamicShape(sub.getStaticOffsets()) ||
      ShapedType::isDynamicShape(sub.getStaticSizes()) ||
      sub.getStaticOffsets()[0] != 0 || sub.getStaticSizes()[0] != 1)
    return std::nullopt;
  width = sub.getStaticSizes()[1];
  return sub.getStaticOffsets()[1];
}

/// Checks one consumer: elementwise over one row, its output a fresh
/// buffer, its other inputs plain buffers available before the call (read
/// by column, or whole where their map ignores the column), its body pure
/// with only constants from outside.
LogicalResult matchConsumer(Epilogue &e, linalg::GenericOp g,
                            DominanceInfo &dom, Consumer &c) {
  c.op = g;
  if (g.getNumLoops() != 2 || g.getNumParallelLoops() != 2 ||
      g.getNumDpsInits() != 1 || g->getNumResults() != 0)
    return failure();
  OpOperand *init = g.getDpsInitOperand(0);
  c.columns = rowColumns(init->get().getType());
  auto alloc = init->get().getDefiningOp<memref::AllocOp>();
  if (!c.columns || !alloc || !g.getMatchingIndexingMap(init).isIdentity() ||
      alloc->getBlock() != e.call->getBlock())
    return failure();
  if (e.call->isBeforeInBlock(alloc))
    e.hoisted.push_back(alloc);
  llvm::DenseMap<Value, bool> byColumn;
  for (OpOperand *in : g.getDpsInputOperands()) {
    Value v = in->get();
    AffineMap map = g.getMatchingIndexingMap(in);
    int64_t width = 0;
    if (std::optional<int64_t> offset = sliceOffset(v, e.sums, width)) {
      if (!map.isIdentity() || width != c.columns)
        return failure();
      c.slices.push_back({in->getOperandNumber(), *offset});
      continue;
    }
    const bool column = map.isFunctionOfDim(1);
    if (!isRebuildable(v.getType()) || !dom.properlyDominates(v, e.call) ||
        (column && (!map.isIdentity() ||
                    rowColumns(v.getType()) != c.columns)))
      return failure();
    auto [it, fresh] = byColumn.try_emplace(v, column);
    if (!fresh && it->second != column)
      return failure();
  }
  WalkResult body = g.getRegion().walk([&](Operation *op) {
    if (!isMemoryEffectFree(op))
      return WalkResult::interrupt();
    for (Value v : op->getOperands()) {
      if (g.getRegion().isAncestor(v.getParentRegion()))
        continue;
      Operation *def = v.getDefiningOp();
      if (!def || !def->hasTrait<OpTrait::ConstantLike>())
        return WalkResult::interrupt();
      e.constants.insert(def);
    }
    return WalkResult::advance();
  });
  return failure(body.wasInterrupted() || c.slices.empty());
}

/// Matches `call` (a kernel over one row, tern.parallel, its sums in a
/// fresh buffer) with the generics that read its sums. Between the call
/// and the last of them only the sums' subviews, the generics, buffer
/// allocations and constants may stand, so the generics may run as soon
/// as their columns are summed.
FailureOr<Epilogue> matchEpilogue(func::CallOp call, ModuleOp module,
                                  DominanceInfo &dom) {
  auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
  if (!callee || !callee->hasAttr(kKernelDeclAttr) ||
      !call->hasAttr(kParallelCallAttr) || call.getNumOperands() != 5)
    return failure();
  Epilogue e;
  e.call = call;
  e.sums = call.getOperand(2);
  const int64_t columns = rowColumns(e.sums.getType());
  std::optional<int64_t> begin = getConstantIntValue(call.getOperand(3));
  std::optional<int64_t> end = getConstantIntValue(call.getOperand(4));
  if (!columns || !e.sums.getDefiningOp<memref::AllocOp>() || !begin ||
      *begin != 0 || !end || *end < 1 || columns % *end)
    return failure();
  e.units = *end;
  e.unitColumns = columns / *end;

  Block *block = call->getBlock();
  llvm::SetVector<Operation *> generics;
  auto addGeneric = [&](Operation *user) {
    if (!isa<linalg::GenericOp>(user) || user->getBlock() != block)
      return false;
    generics.insert(user);
    return true;
  };
  for (Operation *user : e.sums.getUsers()) {
    if (user == call.getOperation())
      continue;
    if (user->getBlock() != block || !call->isBeforeInBlock(user))
      return failure();
    if (auto sub = dyn_cast<memref::SubViewOp>(user)) {
      e.sliceOps.push_back(sub);
      for (Operation *u : sub->getUsers())
        if (!addGeneric(u))
          return failure();
    } else if (!addGeneric(user)) {
      return failure();
    }
  }
  if (generics.empty())
    return failure();

  // In block order (the users' order is not), each writing its own buffer:
  // the range function runs them in that order on each range.
  SmallVector<Operation *> ordered(generics.begin(), generics.end());
  llvm::sort(ordered,
             [](Operation *x, Operation *y) { return x->isBeforeInBlock(y); });
  llvm::SmallPtrSet<Value, 8> outputs;
  for (Operation *op : ordered) {
    Consumer c;
    if (failed(matchConsumer(e, cast<linalg::GenericOp>(op), dom, c)) ||
        !outputs.insert(c.op.getDpsInitOperand(0)->get()).second)
      return failure();
    e.consumers.push_back(std::move(c));
  }
  // No consumer reads another's output.
  for (Consumer &c : e.consumers)
    for (OpOperand *in : c.op.getDpsInputOperands())
      if (outputs.contains(in->get()))
        return failure();

  Operation *last = generics.front();
  for (Operation *op : generics)
    if (last->isBeforeInBlock(op))
      last = op;
  for (Operation *op = call->getNextNode(); op != last; op = op->getNextNode())
    if (!generics.contains(op) && !llvm::is_contained(e.sliceOps, op) &&
        !(isa<memref::AllocOp>(op) && op->getNumOperands() == 0) &&
        !op->hasTrait<OpTrait::ConstantLike>())
      return failure();

  if (e.consumers.size() == 1 && e.consumers[0].slices.size() > 1) {
    // Slices on whole units that do not overlap: each block's kernel calls
    // write sums no other block writes.
    e.stacked = true;
    const Consumer &c = e.consumers[0];
    SmallVector<int64_t> offsets;
    for (auto [input, offset] : c.slices)
      offsets.push_back(offset);
    llvm::sort(offsets);
    if (c.columns % e.unitColumns)
      return failure();
    for (auto [i, offset] : llvm::enumerate(offsets))
      if (offset % e.unitColumns ||
          (i > 0 && offset < offsets[i - 1] + c.columns))
        return failure();
  } else {
    for (Consumer &c : e.consumers)
      if (c.slices.size() != 1)
        return failure();
  }

  for (unsigned i = 0; i < 3; ++i)
    e.buffers.insert(call.getOperand(i));
  for (Consumer &c : e.consumers) {
    for (OpOperand *in : c.op.getDpsInputOperands())
      if (!llvm::any_of(c.slices, [&](auto s) {
            return s.first == in->getOperandNumber();
          }))
        e.buffers.insert(in->get());
    e.buffers.insert(c.op.getDpsInitOperand(0)->get());
  }
  if (!llvm::all_of(e.buffers,
                    [](Value v) { return isRebuildable(v.getType()); }))
    return failure();
  for (Operation *k : e.constants)
    if (k->getResult(0).getType().isF32())
      e.scalars.push_back(k->getResult(0));
  return e;
}

/// Builds the range function's body: the kernel on the range's columns,
/// then each consumer on them.
void buildBody(Epilogue &e, func::FuncOp fn, func::FuncOp kernel) {
  Location loc = e.call.getLoc();
  Block *body = fn.addEntryBlock();
  OpBuilder b = OpBuilder::atBlockBegin(body);
  IRMapping whole;
  for (auto [i, v] : llvm::enumerate(e.buffers))
    whole.map(v, body->getArgument(i));
  unsigned n = e.buffers.size();
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  if (!e.scalars.empty()) {
    Value scalars = body->getArgument(n++);
    for (auto [i, v] : llvm::enumerate(e.scalars))
      whole.map(v, memref::LoadOp::create(b, loc, scalars,
                                          ValueRange{index(i)}));
  }
  for (Operation *k : e.constants)
    if (!whole.contains(k->getResult(0)))
      b.clone(*k, whole);
  Value begin = body->getArgument(n), end = body->getArgument(n + 1);
  Value unit = index(e.unitColumns);
  auto mul = [&](Value x, Value y) {
    return arith::MulIOp::create(b, loc, x, y).getResult();
  };
  auto add = [&](Value x, Value y) {
    return arith::AddIOp::create(b, loc, x, y).getResult();
  };
  auto sub = [&](Value x, Value y) {
    return arith::SubIOp::create(b, loc, x, y).getResult();
  };
  auto clamp = [&](Value x, int64_t lo, int64_t hi) {
    Value m = arith::MaxSIOp::create(b, loc, x, index(lo));
    return arith::MinSIOp::create(b, loc, m, index(hi)).getResult();
  };
  auto runKernel = [&](Value from, Value to) {
    func::CallOp::create(b, loc, kernel,
                         ValueRange{whole.lookup(e.call.getOperand(0)),
                                    whole.lookup(e.call.getOperand(1)),
                                    whole.lookup(e.sums), from, to});
  };
  auto columns = [&](Value buffer, Value offset, Value width) -> Value {
    SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), offset};
    SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), width};
    SmallVector<OpFoldResult> strides{b.getIndexAttr(1), b.getIndexAttr(1)};
    return memref::SubViewOp::create(b, loc, whole.lookup(buffer), offsets,
                                     sizes, strides);
  };
  // Consumer `c` on its columns [first, first + width), which are the
  // sums' columns [sumsFirst(offset), ...) for a slice at `offset`.
  auto runConsumer = [&](Consumer &c, Value first, Value width,
                         llvm::function_ref<Value(int64_t)> sumsFirst) {
    IRMapping m = whole;
    for (OpOperand *in : c.op.getDpsInputOperands()) {
      auto slice = llvm::find_if(c.slices, [&](auto s) {
        return s.first == in->getOperandNumber();
      });
      if (slice != c.slices.end())
        m.map(in->get(), columns(e.sums, sumsFirst(slice->second), width));
      else if (c.op.getMatchingIndexingMap(in).isFunctionOfDim(1))
        m.map(in->get(), columns(in->get(), first, width));
    }
    Value out = c.op.getDpsInitOperand(0)->get();
    m.map(out, columns(out, first, width));
    b.clone(*c.op, m);
  };

  if (e.stacked) {
    Consumer &c = e.consumers.front();
    for (auto [input, offset] : c.slices) {
      Value shift = index(offset / e.unitColumns);
      runKernel(add(begin, shift), add(end, shift));
    }
    Value first = mul(begin, unit);
    Value width = mul(sub(end, begin), unit);
    runConsumer(c, first, width,
                [&](int64_t offset) { return add(first, index(offset)); });
  } else {
    runKernel(begin, end);
    Value from = mul(begin, unit), to = mul(end, unit);
    for (Consumer &c : e.consumers) {
      const int64_t offset = c.slices.front().second;
      Value lo = clamp(from, offset, offset + c.columns);
      Value hi = clamp(to, offset, offset + c.columns);
      runConsumer(c, sub(lo, index(offset)), sub(hi, lo),
                  [&](int64_t) { return lo; });
    }
  }
  func::ReturnOp::create(b, loc);
}

/// Whether every call of `fn` passes for its argument `index` a buffer it
/// allocates and passes nowhere else in that call: then that argument
/// aliases no other buffer the function can reach. A buffer that any op
/// derives another memref from (a view, a cast) is refused outright.
bool argumentIsFreshEverywhere(func::FuncOp fn, unsigned index,
                               ModuleOp module) {
  if (!fn.isPrivate())
    return false;
  std::optional<SymbolTable::UseRange> uses =
      SymbolTable::getSymbolUses(fn, module);
  if (!uses)
    return false;
  for (const SymbolTable::SymbolUse &use : *uses) {
    auto call = dyn_cast<func::CallOp>(use.getUser());
    if (!call || index >= call.getNumOperands())
      return false;
    Value buffer = call.getOperand(index);
    if (!buffer.getDefiningOp<memref::AllocOp>() &&
        !buffer.getDefiningOp<memref::AllocaOp>())
      return false;
    if (llvm::count(call.getOperands(), buffer) != 1)
      return false;
    for (Operation *user : buffer.getUsers())
      if (llvm::any_of(user->getResultTypes(),
                       [](Type t) { return isa<BaseMemRefType>(t); }))
        return false;
  }
  return true;
}

/// Whether every use of `arg`, and of every view of it, lies before `call`
/// in its block (or in an op that does) or is `except`.
bool usedOnlyBefore(Value arg, func::CallOp call, Operation *except) {
  SmallVector<Value> aliases = {arg};
  while (!aliases.empty()) {
    Value v = aliases.pop_back_val();
    for (Operation *user : v.getUsers()) {
      if (user == except)
        continue;
      Operation *at = call->getBlock()->findAncestorOpInBlock(*user);
      if (!at || !at->isBeforeInBlock(call))
        return false;
      for (Value r : user->getResults())
        if (isa<BaseMemRefType>(r.getType()))
          aliases.push_back(r);
    }
  }
  return true;
}

/// A range function's output `out` that the caller only copies into its
/// own argument afterwards (`memref.copy %out, %arg`: decode's residual
/// row after down) is written into that argument instead, without the
/// copy, where nothing from the call on uses the argument or a view of it
/// (usedOnlyBefore) and every caller passes it a buffer of its own
/// (argumentIsFreshEverywhere).
void writeIntoDestination(func::CallOp call, Value out, func::FuncOp caller,
                          ModuleOp module) {
  auto alloc = out.getDefiningOp<memref::AllocOp>();
  if (!alloc || !out.hasNUses(2) || llvm::count(call.getOperands(), out) != 1)
    return;
  memref::CopyOp copy;
  for (Operation *user : out.getUsers())
    if (auto c = dyn_cast<memref::CopyOp>(user); c && c.getSource() == out)
      copy = c;
  if (!copy || copy->getBlock() != call->getBlock() ||
      !call->isBeforeInBlock(copy))
    return;
  auto dst = dyn_cast<BlockArgument>(copy.getTarget());
  if (!dst || dst.getOwner() != &caller.getBody().front() ||
      dst.getType() != out.getType() ||
      !argumentIsFreshEverywhere(caller, dst.getArgNumber(), module))
    return;
  if (!usedOnlyBefore(dst, call, copy))
    return;
  call->replaceUsesOfWith(out, dst);
  copy->erase();
  alloc->erase();
}

/// Moves the epilogue into `@<caller>_cols(buffers..., [scalars,] begin,
/// end)`, or into the one built before with the same code, and calls it
/// over its range in the kernel call's place.
void outline(Epilogue &e, func::FuncOp caller, ModuleOp module,
             SymbolTable &symbols, std::map<std::string, func::FuncOp> &built) {
  MLIRContext *ctx = module.getContext();
  Location loc = e.call.getLoc();
  const auto scalarsType =
      MemRefType::get({int64_t(e.scalars.size())}, Float32Type::get(ctx));
  SmallVector<Type> types;
  for (Value v : e.buffers)
    types.push_back(v.getType());
  if (!e.scalars.empty())
    types.push_back(scalarsType);
  types.append(2, IndexType::get(ctx));
  OpBuilder mb(ctx);
  mb.setInsertionPointAfter(caller);
  auto fn = func::FuncOp::create(mb, loc,
                                 (caller.getSymName() + "_cols").str(),
                                 mb.getFunctionType(types, {}));
  fn.setPrivate();
  auto kernel = module.lookupSymbol<func::FuncOp>(e.call.getCallee());
  buildBody(e, fn, kernel);
  auto [it, fresh] = built.try_emplace(printedBody(fn, "cols"), fn);
  if (fresh) {
    symbols.insert(fn); // renames it _cols_<k> where that name is taken
  } else {
    fn.erase();
    fn = it->second;
  }

  OpBuilder b(e.call);
  for (Operation *alloc : e.hoisted)
    alloc->moveBefore(e.call);
  const int64_t range =
      e.stacked ? e.consumers[0].columns / e.unitColumns : e.units;
  SmallVector<Value> operands(e.buffers.begin(), e.buffers.end());
  if (!e.scalars.empty()) {
    Value scalars = memref::AllocaOp::create(b, loc, scalarsType);
    for (auto [i, v] : llvm::enumerate(e.scalars))
      memref::StoreOp::create(
          b, loc, v, scalars,
          ValueRange{arith::ConstantIndexOp::create(b, loc, i)});
    operands.push_back(scalars);
  }
  operands.push_back(arith::ConstantIndexOp::create(b, loc, 0));
  operands.push_back(arith::ConstantIndexOp::create(b, loc, range));
  auto call = func::CallOp::create(b, loc, fn, operands);
  call->setAttr(kParallelCallAttr, e.call->getAttr(kParallelCallAttr));
  // The same bound per slice: a stacked block reads that many units of
  // each slice in turn, two runs of weights as long as the kernel call's
  // blocks (tern-kernel-bench's decode2/ffn_gate_up_13824x2560: stacked
  // as fast as in order; docs/performance.md, "Column epilogues").
  if (Attribute most = e.call->getAttr(kBlockCallAttr))
    call->setAttr(kBlockCallAttr, most);
  SmallVector<Value> outputs;
  for (Consumer &c : e.consumers) {
    outputs.push_back(c.op.getDpsInitOperand(0)->get());
    c.op->erase();
  }
  for (Operation *s : e.sliceOps)
    s->erase();
  e.call->erase();
  for (Value out : outputs)
    writeIntoDestination(call, out, caller, module);
}

struct TernOutlineColumnEpiloguesPass
    : mlir::tern::impl::TernOutlineColumnEpiloguesBase<
          TernOutlineColumnEpiloguesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    std::map<std::string, func::FuncOp> built;
    SmallVector<func::FuncOp> functions(module.getOps<func::FuncOp>());
    for (func::FuncOp f : functions) {
      if (f.isExternal())
        continue;
      DominanceInfo dom(f);
      SmallVector<func::CallOp> calls;
      f.walk([&](func::CallOp c) { calls.push_back(c); });
      for (func::CallOp c : calls)
        if (FailureOr<Epilogue> e = matchEpilogue(c, module, dom);
            succeeded(e))
          outline(*e, f, module, symbols, built);
    }
  }
};

} // namespace
