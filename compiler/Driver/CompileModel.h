//===- CompileModel.h - tern compile: a model file to an executable -------===//
//
// The whole path behind `tern compile`:
//   load (runtime/model, any format) -> import (compiler/Import: the
//   network as a graph of tern ops) -> the selection pipeline (fuse
//   projections, tern-select-kernels for the target, tern-plan-weights) ->
//   the lowering pipeline to the LLVM dialect -> LLVM IR -> LLVM's O2
//   pipeline for the target CPU -> object file (TargetMachine) -> linked by
//   lld (through clang++-22's driver) with the runtime's static libraries
//   for the target (runtime/compiled's main) -> the weights blob
//   (compiler/Import/WeightBlob.h) appended as a payload (or written beside
//   the executable as OUT.weights).
// Every stage can be printed (--emit graph|mlir|lowered|llvm|asm|obj|exe,
// --print-ir-after-all).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_DRIVER_COMPILEMODEL_H
#define TERN_COMPILER_DRIVER_COMPILEMODEL_H

#include "compiler/Transforms/AttentionStaging.h"
#include "llvm/Support/Error.h"
#include "runtime/model/HeadFormat.h"

#include "runtime/model/Model.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace mlir::tern {

struct CompileOptions {
  /// The command line that asked for this compile, recorded in the
  /// executable (--info); "" records none.
  std::string commandLine;
  std::string model;
  std::string output;
  /// native, an x86 CPU name (x86-64-v3, znver3, ...) or a named cross
  /// target (compiler/Target/Target.h).
  std::string target = "native";
  /// graph (imported), mlir (layouts and kernels chosen, weights planned),
  /// lowered (LLVM dialect), llvm, asm, obj, exe.
  std::string emit = "exe";
  /// Write the weights to OUT.weights instead of appending them.
  bool weightsFile = false;
  int64_t contextSize = 0;
  /// Tokens per prefill call (-1: the default, 32; 0: decode only).
  int64_t prefillRows = -1;
  /// Largest batched decode entry point (powers of two from 2; 0 or 1:
  /// none): `serve` decodes up to this many streams in one step.
  int64_t batchRows = 16;
  bool printIrAfterAll = false;
  /// Where libtern_compiled.a and the other runtime libraries are.
  std::string runtimeLibDir;
  /// The same, cross-built for the target's architecture when it is not
  /// this machine's (empty: <build>-<arch>/lib beside runtimeLibDir's
  /// build, as tools/setup.sh builds it).
  std::string crossRuntimeLibDir;
  /// Seconds per stage to stderr.
  bool timings = false;
  /// One line on stderr that each finished stage rewrites, then what was
  /// written and in how long (the driver's default on a terminal).
  bool progress = false;
  /// A tuning database (tern tune): kernel family, layout and tile per
  /// matmul shape for the target CPU; empty: the defaults.
  std::string tuningDb;
  /// Default thread count of the executable (0: all hardware threads).
  int64_t threads = 0;
  /// Output head format (int8 / q4 quantize it; see HeadFormat.h).
  ::tern::HeadFormat head = ::tern::HeadFormat::Native;
  /// A packing (compiler/Packings) to store ternary weights in, one block
  /// per row, wherever a kernel family of the target reads it; empty: the
  /// defaults. A tuning database's choices come first.
  std::string packing;
  /// Bytes ahead in the weight stream that decode kernels and the head
  /// prefetch (negative: the target's default, Target::streamPrefetch).
  int64_t prefetch = -1;
  /// LLVM's locality hint of those prefetches, 0 to 3 (negative: the
  /// target's, Target::streamPrefetchLocality).
  int64_t prefetchLocality = -1;
  /// Attended positions from which decode attention runs in three parallel
  /// stages (tern-select-kernels' attention-staged-from; 0: never).
  int64_t attentionStagedFrom = kDefaultAttentionStagedFrom;
  /// Lanes per panel of the value cache, a multiple of 16
  /// (tern-select-kernels' attention-value-panel; 0: whole rows).
  int64_t attentionValuePanel = kDefaultValuePanel;
  /// q/k/v and gate/up as one matmul each (tern-fuse-projections).
  bool fuseProjections = true;
  /// Decode attention rotates its query and key and stores the new cache
  /// rows in its parallel items (tern-fuse-rope-attention).
  bool fuseRopeAttention = true;
  /// Decode's normalized, quantized rows computed on each thread of the
  /// matmul that reads them (tern-outline-row-prologues).
  bool rowPrologues = true;
};

/// Runs the pipeline; errors name the stage and what went wrong.
llvm::Error compileModel(const CompileOptions &options);

/// The ternary matmuls tern compile generates for a model: one decoder
/// layer's weight shapes [n, k] in order (q/k/v and gate/up fused or not)
/// and the number of layers, from the imported graph (tern tune tunes
/// them).
struct ModelMatmuls {
  std::vector<std::array<int64_t, 2>> layer;
  int64_t layers = 0;
};
llvm::Expected<ModelMatmuls> modelMatmuls(const ::tern::ModelDescription &m,
                                          bool fuseProjections);

} // namespace mlir::tern

#endif // TERN_COMPILER_DRIVER_COMPILEMODEL_H
