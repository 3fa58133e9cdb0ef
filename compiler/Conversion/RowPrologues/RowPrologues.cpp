//===- RowPrologues.cpp - Decode's norms on the matmul's threads ----------===//
//
// See the pass description in compiler/Conversion/Passes.td. Two stages:
// find a prologue call whose outputs only one parallel call reads
// (matchPrologue), then build the range function that computes them on
// each thread and call it instead (buildWrapper, rewrite).
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/RowPrologues/RowPrologues.h"

#include "compiler/Conversion/ParallelToRuntime/ParallelToRuntime.h"
#include "runtime/compiled/tern_abi.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"

#include <map>
#include <string>
#include <tuple>

namespace mlir::tern {
#define GEN_PASS_DEF_TERNOUTLINEROWPROLOGUES
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

/// A prologue call and the parallel call that alone reads its outputs.
struct Match {
  func::CallOp prologue;
  func::CallOp parallel;
  unsigned numInputs = 0;
  /// Where each output is among the parallel call's operands.
  SmallVector<unsigned> positions;
};

/// The buffer `v` is a view of (through views, subviews and casts), or `v`.
Value rootOf(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (auto view = dyn_cast<ViewLikeOpInterface>(def))
      v = view.getViewSource();
    else
      break;
  }
  return v;
}

/// Whether `op`, which stands between the prologue and the parallel call,
/// leaves the prologue's inputs (by their roots) as they were: it has no
/// regions, calls nothing, and any write it declares goes elsewhere.
bool leavesInputs(Operation *op, const llvm::DenseSet<Value> &inputs) {
  if (op->getNumRegions() != 0 || isa<CallOpInterface>(op))
    return false;
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects)
    return false;
  SmallVector<MemoryEffects::EffectInstance> list;
  effects.getEffects(list);
  for (const MemoryEffects::EffectInstance &e : list) {
    if (!isa<MemoryEffects::Write>(e.getEffect()))
      continue;
    Value written = e.getValue();
    if (!written || inputs.contains(rootOf(written)))
      return false;
  }
  return true;
}

/// `call` of a row prologue, if its outputs are fresh buffers of its block
/// that one later tern.parallel call reads once each and nothing else
/// uses, with only ops that leave its inputs between the two. No call
/// stands between them, so a parallel call has at most one match.
std::optional<Match> matchPrologue(func::CallOp call, ModuleOp module) {
  auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
  auto mark = callee ? callee->getAttrOfType<IntegerAttr>(kRowPrologueAttr)
                     : IntegerAttr();
  if (!mark || mark.getInt() < 1 ||
      mark.getInt() >= static_cast<int64_t>(call.getNumOperands()))
    return std::nullopt;
  Match m;
  m.prologue = call;
  m.numInputs = call.getNumOperands() - mark.getInt();
  llvm::DenseSet<Value> inputs;
  for (unsigned i = 0; i < m.numInputs; ++i) {
    if (!isRebuildable(call.getOperand(i).getType()))
      return std::nullopt;
    inputs.insert(rootOf(call.getOperand(i)));
  }
  for (unsigned i = m.numInputs; i < call.getNumOperands(); ++i) {
    Value out = call.getOperand(i);
    Operation *def = out.getDefiningOp();
    if (!def || !isa<memref::AllocOp, memref::AllocaOp>(def) ||
        def->getBlock() != call->getBlock() || !isRebuildable(out.getType()))
      return std::nullopt;
    func::CallOp reader;
    for (OpOperand &use : out.getUses()) {
      if (use.getOwner() == call.getOperation())
        continue;
      auto other = dyn_cast<func::CallOp>(use.getOwner());
      if (!other || reader || !other->hasAttr(kParallelCallAttr) ||
          (m.parallel && other != m.parallel))
        return std::nullopt;
      reader = other;
    }
    if (!reader || llvm::count(call.getOperands(), out) != 1)
      return std::nullopt;
    m.parallel = reader;
  }
  if (!m.parallel || m.parallel->getBlock() != call->getBlock() ||
      !call->isBeforeInBlock(m.parallel))
    return std::nullopt;
  for (Operation *op = call->getNextNode(); op != m.parallel.getOperation();
       op = op->getNextNode())
    if (!leavesInputs(op, inputs))
      return std::nullopt;
  const unsigned n = m.parallel.getNumOperands();
  for (unsigned i = m.numInputs; i < call.getNumOperands(); ++i) {
    unsigned position = n;
    for (unsigned j = 0; j + 2 < n; ++j)
      if (m.parallel.getOperand(j) == call.getOperand(i))
        position = position == n ? j : n + 1;
    if (position >= n)
      return std::nullopt; // not an operand, or more than one
    m.positions.push_back(position);
  }
  return m;
}

func::FuncOp getOrDeclareScratch(ModuleOp module) {
  if (auto f = module.lookupSymbol<func::FuncOp>(TERN_ABI_REGION_SCRATCH_FN))
    return f;
  OpBuilder b(module.getContext());
  auto ptr = LLVM::LLVMPointerType::get(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  auto f =
      func::FuncOp::create(b, module.getLoc(), TERN_ABI_REGION_SCRATCH_FN,
                           b.getFunctionType({b.getI64Type(), ptr}, {ptr}));
  f.setPrivate();
  return f;
}

/// The bytes at which each output starts in a thread's buffer (multiples
/// of 64, in order), and the buffer's size.
SmallVector<int64_t> outputOffsets(TypeRange outputs, int64_t &total) {
  SmallVector<int64_t> offsets;
  total = 0;
  for (Type t : outputs) {
    auto m = cast<MemRefType>(t);
    offsets.push_back(total);
    const int64_t bytes =
        (m.getNumElements() * m.getElementTypeBitWidth() + 7) / 8;
    total += (bytes + 63) / 64 * 64;
  }
  return offsets;
}

/// `@<f>_prologue`: the parallel call's operands without the outputs, the
/// prologue's inputs, begin and end; see the pass description.
func::FuncOp buildWrapper(ModuleOp module, Match &m, StringRef name) {
  auto callee = module.lookupSymbol<func::FuncOp>(m.parallel.getCallee());
  auto prologue = module.lookupSymbol<func::FuncOp>(m.prologue.getCallee());
  MLIRContext *ctx = module.getContext();
  Location loc = m.parallel.getLoc();
  OpBuilder b(ctx);
  const unsigned n = m.parallel.getNumOperands();
  SmallVector<Type> types;
  SmallVector<unsigned> kept; // the parallel call's operands passed on
  for (unsigned j = 0; j + 2 < n; ++j)
    if (!llvm::is_contained(m.positions, j)) {
      kept.push_back(j);
      types.push_back(m.parallel.getOperand(j).getType());
    }
  for (unsigned i = 0; i < m.numInputs; ++i)
    types.push_back(m.prologue.getOperand(i).getType());
  types.append(2, b.getIndexType());
  b.setInsertionPointToEnd(module.getBody());
  auto fn = func::FuncOp::create(b, loc, name, b.getFunctionType(types, {}));
  fn.setPrivate();
  Block *body = fn.addEntryBlock();
  b.setInsertionPointToStart(body);

  // The thread's buffer, and whether its outputs are to be computed.
  SmallVector<Type> outputTypes;
  for (unsigned i = m.numInputs; i < m.prologue.getNumOperands(); ++i)
    outputTypes.push_back(m.prologue.getOperand(i).getType());
  int64_t total = 0;
  SmallVector<int64_t> offsets = outputOffsets(outputTypes, total);
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto i64 = b.getI64Type();
  Value flag = memref::AllocaOp::create(b, loc, MemRefType::get({1}, i64));
  Value flagAddr = arith::IndexCastOp::create(
      b, loc, i64,
      memref::ExtractAlignedPointerAsIndexOp::create(b, loc, flag));
  Value flagPtr = LLVM::IntToPtrOp::create(b, loc, ptr, flagAddr);
  Value bytes = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(total));
  Value scratch = func::CallOp::create(b, loc, getOrDeclareScratch(module),
                                       ValueRange{bytes, flagPtr})
                      .getResult(0);
  SmallVector<Value> outputs;
  for (auto [type, offset] : llvm::zip(outputTypes, offsets)) {
    Value p = LLVM::GEPOp::create(
        b, loc, ptr, b.getI8Type(), scratch,
        ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(offset)});
    outputs.push_back(memrefAtPointer(b, loc, p, cast<MemRefType>(type)));
  }
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value first = memref::LoadOp::create(b, loc, flag, ValueRange{zero});
  Value fresh = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::ne, first,
      arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0)));
  const unsigned inputsAt = kept.size();
  scf::IfOp::create(b, loc, fresh, [&](OpBuilder &tb, Location l) {
    SmallVector<Value> operands;
    for (unsigned i = 0; i < m.numInputs; ++i)
      operands.push_back(body->getArgument(inputsAt + i));
    operands.append(outputs);
    func::CallOp::create(tb, l, prologue, operands);
    scf::YieldOp::create(tb, l);
  });

  SmallVector<Value> operands(n);
  for (auto [k, j] : llvm::enumerate(kept))
    operands[j] = body->getArgument(k);
  for (auto [position, out] : llvm::zip(m.positions, outputs))
    operands[position] = out;
  operands[n - 2] = body->getArgument(types.size() - 2);
  operands[n - 1] = body->getArgument(types.size() - 1);
  func::CallOp::create(b, loc, callee, operands);
  func::ReturnOp::create(b, loc);
  return fn;
}

/// Replaces the match's two calls by one call of its wrapper.
void rewrite(Match &m, func::FuncOp wrapper) {
  OpBuilder b(m.parallel);
  const unsigned n = m.parallel.getNumOperands();
  SmallVector<Value> operands;
  for (unsigned j = 0; j + 2 < n; ++j)
    if (!llvm::is_contained(m.positions, j))
      operands.push_back(m.parallel.getOperand(j));
  for (unsigned i = 0; i < m.numInputs; ++i)
    operands.push_back(m.prologue.getOperand(i));
  operands.push_back(m.parallel.getOperand(n - 2));
  operands.push_back(m.parallel.getOperand(n - 1));
  auto call = func::CallOp::create(b, m.parallel.getLoc(), wrapper, operands);
  for (NamedAttribute a : m.parallel->getDiscardableAttrs())
    call->setAttr(a.getName(), a.getValue());
  SmallVector<Operation *> outputs;
  for (unsigned i = m.numInputs; i < m.prologue.getNumOperands(); ++i)
    outputs.push_back(m.prologue.getOperand(i).getDefiningOp());
  m.parallel.erase();
  m.prologue.erase();
  for (Operation *alloc : outputs)
    if (alloc->use_empty())
      alloc->erase();
}

struct TernOutlineRowProloguesPass
    : mlir::tern::impl::TernOutlineRowProloguesBase<
          TernOutlineRowProloguesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Match> matches;
    module.walk([&](func::CallOp call) {
      if (std::optional<Match> m = matchPrologue(call, module))
        matches.push_back(*m);
    });
    // One wrapper per (range function, prologue, output positions): every
    // layer's calls share it.
    std::map<std::tuple<std::string, std::string, SmallVector<unsigned>>,
             func::FuncOp>
        wrappers;
    for (Match &m : matches) {
      auto key = std::make_tuple(m.parallel.getCallee().str(),
                                 m.prologue.getCallee().str(), m.positions);
      func::FuncOp &fn = wrappers[key];
      if (!fn) {
        std::string name = (m.parallel.getCallee() + "_prologue").str();
        for (int k = 1; module.lookupSymbol(name); ++k)
          name = (m.parallel.getCallee() + "_prologue_" + Twine(k)).str();
        fn = buildWrapper(module, m, name);
      }
      rewrite(m, fn);
    }
  }
};

} // namespace
