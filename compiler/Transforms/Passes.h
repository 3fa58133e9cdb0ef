//===- Passes.h - Tern's compiler transformations ---------------*- C++ -*-===//
#ifndef TERN_COMPILER_TRANSFORMS_PASSES_H
#define TERN_COMPILER_TRANSFORMS_PASSES_H

#include "compiler/Transforms/AttentionStaging.h"
#include "dialects/Tern/IR/TernOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tern {

#define GEN_PASS_DECL
#include "compiler/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/Transforms/Passes.h.inc"

} // namespace mlir::tern

#endif // TERN_COMPILER_TRANSFORMS_PASSES_H
