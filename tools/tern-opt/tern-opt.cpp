//===- tern-opt.cpp - The Tern optimizer driver ---------------------------===//
//
// mlir-opt with a curated registry: the tern dialect, the upstream dialects
// Tern lowers through, and the passes and pipelines Tern uses.
//
//===----------------------------------------------------------------------===//

#include "compiler/Pipelines/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::tern::registerTernDialects(registry);
  mlir::tern::registerTernPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Tern optimizer driver\n", registry));
}
