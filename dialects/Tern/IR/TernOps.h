//===- TernOps.h - tern operations ------------------------------*- C++ -*-===//
#ifndef TERN_DIALECTS_TERN_IR_TERNOPS_H
#define TERN_DIALECTS_TERN_IR_TERNOPS_H

#include "dialects/Tern/IR/TernDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/Tern/IR/TernInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dialects/Tern/IR/TernOps.h.inc"

#endif // TERN_DIALECTS_TERN_IR_TERNOPS_H
