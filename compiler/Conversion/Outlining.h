//===- Outlining.h - Shared by the passes that outline functions -*- C++ -*-===//
#ifndef TERN_COMPILER_CONVERSION_OUTLINING_H
#define TERN_COMPILER_CONVERSION_OUTLINING_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace mlir::tern {

/// The printed form of an outlined function's body and type, its name set
/// to `placeholder` and its values numbered within it: equal for two
/// functions with the same code (another layer's), so that a pass builds
/// such a function once.
inline std::string printedBody(func::FuncOp fn, StringRef placeholder) {
  const std::string name = fn.getName().str();
  fn.setName(placeholder);
  std::string text;
  llvm::raw_string_ostream os(text);
  fn->print(os, OpPrintingFlags().printGenericOpForm().useLocalScope());
  fn.setName(name);
  return text;
}

} // namespace mlir::tern

#endif // TERN_COMPILER_CONVERSION_OUTLINING_H
