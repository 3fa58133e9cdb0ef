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
#include "runtime/ternary/Packing.h"

#include "dialects/Tern/IR/TernDialect.h.inc"
#include "dialects/Tern/IR/TernEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Tern/IR/TernAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/Tern/IR/TernTypes.h.inc"

namespace mlir::tern {
/// The runtime's name for a packing kind, and back (the two enums list the
/// same layouts; runtime/ternary/Packing.h defines them).
::tern::PackingKind toRuntimeKind(PackingKind kind);
PackingKind fromRuntimeKind(::tern::PackingKind kind);
} // namespace mlir::tern

#endif // TERN_DIALECTS_TERN_IR_TERNDIALECT_H
