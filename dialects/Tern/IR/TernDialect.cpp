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
// LayoutAttr
//===----------------------------------------------------------------------===//

::tern::PackingKind mlir::tern::toRuntimeKind(PackingKind kind) {
  switch (kind) {
  case PackingKind::i2:
    return ::tern::PackingKind::I2;
  case PackingKind::lut2:
    return ::tern::PackingKind::Lut2;
  case PackingKind::base3:
    return ::tern::PackingKind::Base3;
  case PackingKind::base3v:
    return ::tern::PackingKind::Base3V;
  case PackingKind::lut2i:
    return ::tern::PackingKind::Lut2I;
  }
  llvm_unreachable("unknown packing kind");
}

PackingKind mlir::tern::fromRuntimeKind(::tern::PackingKind kind) {
  switch (kind) {
  case ::tern::PackingKind::I2:
    return PackingKind::i2;
  case ::tern::PackingKind::Lut2:
    return PackingKind::lut2;
  case ::tern::PackingKind::Base3:
    return PackingKind::base3;
  case ::tern::PackingKind::Base3V:
    return PackingKind::base3v;
  case ::tern::PackingKind::Lut2I:
    return PackingKind::lut2i;
  }
  llvm_unreachable("unknown packing kind");
}

::tern::PackedLayout LayoutAttr::getPackedLayout() const {
  return {toRuntimeKind(getKind()), getBlock()};
}

int64_t LayoutAttr::getRowBytes(int64_t k) const {
  return ::tern::packedRowBytes(getPackedLayout(), k);
}

LogicalResult LayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 PackingKind kind, int64_t block) {
  // A row of exactly one block is always valid if the block itself is.
  std::string why =
      ::tern::checkPackedLayout({toRuntimeKind(kind), block}, block);
  if (!why.empty())
    return emitError() << why;
  return success();
}
