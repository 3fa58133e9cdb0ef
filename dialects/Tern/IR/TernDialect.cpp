//===- TernDialect.cpp - The tern dialect ---------------------------------===//

#include "dialects/Tern/IR/TernDialect.h"
#include "dialects/Tern/IR/TernOps.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::tern;

#include "dialects/Tern/IR/TernDialect.cpp.inc"
#include "dialects/Tern/IR/TernEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Tern/IR/TernAttrs.cpp.inc"

void TernDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/Tern/IR/TernAttrs.cpp.inc"
      >();
  registerTypes();
  addOperations<
#define GET_OP_LIST
#include "dialects/Tern/IR/TernOps.cpp.inc"
      >();
}

Operation *TernDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  if (auto weights = dyn_cast<WeightsType>(type)) {
    auto dense = dyn_cast<DenseIntElementsAttr>(value);
    if (!dense)
      return nullptr;
    return ConstantOp::create(builder, loc, weights, dense);
  }
  return arith::ConstantOp::materialize(builder, value, type, loc);
}

//===----------------------------------------------------------------------===//
// Packings, LayoutAttr, KernelAttr
//===----------------------------------------------------------------------===//

FailureOr<const Packing *> mlir::tern::parsePacking(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef name;
  if (parser.parseKeyword(&name))
    return failure();
  if (const Packing *p = findPacking(name))
    return p;
  return parser.emitError(loc) << "unknown packing '" << name
                               << "' (expected one of " << packingNames()
                               << ")";
}

LogicalResult LayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 const Packing *packing, int64_t block) {
  // A row of exactly one block is always valid if the block itself is.
  std::string why = Layout{packing, block}.check(block);
  if (!why.empty())
    return emitError() << why;
  return success();
}

LogicalResult KernelAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 StringAttr family, const Packing *packing,
                                 int64_t block, int64_t tileM, int64_t tileN,
                                 int64_t prefetch, int64_t locality) {
  if (!family || family.getValue().empty())
    return emitError() << "needs a kernel family name";
  if (tileM < 1 || tileN < 1 || tileM > kMaxTile || tileN > kMaxTile)
    return emitError() << "tile [" << tileM << ", " << tileN
                       << "] is out of range: each side must be in [1, "
                       << kMaxTile << "]";
  if (prefetch < 0 || prefetch > kMaxPrefetch)
    return emitError() << "prefetch " << prefetch
                       << " is out of range: bytes in [0, " << kMaxPrefetch
                       << "]";
  if (locality < 0 || locality > 3)
    return emitError() << "locality " << locality
                       << " is out of range: LLVM's prefetch hints 0 to 3";
  if (locality != kDefaultLocality && prefetch == 0)
    return emitError() << "locality " << locality
                       << " needs a prefetch distance";
  const Layout layout{packing, block};
  if (std::string why = layout.check(block); !why.empty())
    return emitError() << why;
  auto *dialect = family.getContext()->getLoadedDialect<TernDialect>();
  if (dialect && dialect->kernelFamilyCheck)
    if (std::string why = dialect->kernelFamilyCheck(family.getValue(), layout,
                                                     prefetch);
        !why.empty())
      return emitError() << why;
  return success();
}
