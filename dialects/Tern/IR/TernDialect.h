//===- TernDialect.h - The tern dialect -------------------------*- C++ -*-===//
//
// Include this header (or TernOps.h, which includes it) to use the dialect,
// its attributes and its types.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_DIALECTS_TERN_IR_TERNDIALECT_H
#define TERN_DIALECTS_TERN_IR_TERNDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"
#include "compiler/Packings/Packing.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <functional>

#include "dialects/Tern/IR/TernDialect.h.inc"
#include "dialects/Tern/IR/TernEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Tern/IR/TernAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/Tern/IR/TernTypes.h.inc"

namespace mlir::tern {
/// Parses a packing's name (`#tern.layout<NAME, ...>`) against the registry.
FailureOr<const Packing *> parsePacking(AsmParser &parser);
} // namespace mlir::tern

#endif // TERN_DIALECTS_TERN_IR_TERNDIALECT_H
