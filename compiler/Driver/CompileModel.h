//===- CompileModel.h - tern compile: a model file to an executable -------===//
//
// The whole path behind `tern compile`:
//   load (runtime/model, any format) -> import (compiler/Import) ->
//   tern-compile-pipeline to the LLVM dialect -> LLVM IR -> LLVM's O2
//   pipeline for the target CPU -> object file (TargetMachine) -> linked by
//   lld (through clang++-22's driver) with the runtime's static libraries
//   (runtime/compiled's main) -> the weights payload appended (or written
//   beside the executable as OUT.weights).
// Every stage can be printed (--emit mlir|lowered|llvm|asm|obj|exe,
// --print-ir-after-all).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_DRIVER_COMPILEMODEL_H
#define TERN_COMPILER_DRIVER_COMPILEMODEL_H

#include "llvm/Support/Error.h"
#include "runtime/model/HeadFormat.h"
#include "runtime/ternary/Packing.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::tern {

struct CompileOptions {
  std::string model;
  std::string output;
  /// native, x86-64, x86-64-v2, x86-64-v3, x86-64-v4, an x86 CPU name
  /// (znver3, skylake-avx512, ...), aarch64, aarch64+sve.
  std::string target = "native";
  /// mlir (imported), lowered (LLVM dialect), llvm, asm, obj, exe.
  std::string emit = "exe";
  /// Write the weights to OUT.weights instead of appending them.
  bool weightsFile = false;
  int64_t contextSize = 0;
  /// Tokens per prefill call (-1: the default, 32; 0: decode only).
  int64_t prefillRows = -1;
  bool printIrAfterAll = false;
  /// Where libtern_compiled.a and the other runtime libraries are.
  std::string runtimeLibDir;
  /// The same, cross-built for AArch64 (executables for --target aarch64*).
  std::string crossRuntimeLibDir;
  /// Seconds per stage to stderr.
  bool timings = false;
  /// A tuning database (tern tune): kernel family, layout and tile per
  /// matmul shape for the target CPU; empty: the defaults.
  std::string tuningDb;
  /// Default thread count of the executable (0: all hardware threads).
  int64_t threads = 0;
  /// Output head format (int8 / q4 quantize it; see HeadFormat.h).
  ::tern::HeadFormat head = ::tern::HeadFormat::Native;
  /// Base3V: store ternary weights at 1.6 bits (base3v, one block per row)
  /// wherever a kernel family of the target reads that; I2: the defaults.
  /// A tuning database's choices come first.
  ::tern::PackingKind packing = ::tern::PackingKind::I2;
  /// q/k/v and gate/up as one matmul each (ImportOptions::fuseProjections).
  bool fuseProjections = true;
};

/// Runs the pipeline; errors name the stage and what went wrong.
llvm::Error compileModel(const CompileOptions &options);

/// What a --target means for kernel choices: its CPU name (the tuning
/// database's key), kernel-relevant features and kernel families (fastest
/// first), as tern compile resolves it.
struct TargetKernels {
  std::string cpu;
  std::vector<std::string> features, families;
};
llvm::Expected<TargetKernels> targetKernels(const std::string &target);

/// "native, x86-64, ..." for messages.
std::string supportedTargets();

} // namespace mlir::tern

#endif // TERN_COMPILER_DRIVER_COMPILEMODEL_H
