//===- Target.h - What `--target` names: triple, CPU, features --*- C++ -*-===//
//
// Every target Tern compiles for is described here, and only here:
//   - `native`: this machine (its triple, CPU and features);
//   - any x86-64 CPU name LLVM knows (x86-64, x86-64-v3, znver3, ...);
//   - the named cross targets of targetTable() (aarch64, aarch64+sve,
//     riscv64+v).
// For each architecture that is not the host's, archTable() says where its
// cross-built runtime lives (tools/setup.sh builds <build>-<dir>/), which
// CMake toolchain file builds it, and how its executables run here (qemu).
// Kernel families (compiler/Kernels) name the features they need; a target
// runs the families whose features it has.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_TARGET_TARGET_H
#define TERN_COMPILER_TARGET_TARGET_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/TargetParser/Triple.h"

#include <string>

namespace mlir::tern {

/// The default of Target::streamPrefetch on x86-64: one 2B4T head row in
/// f16 (2560 x 2 bytes), 8 columns of a 2560-wide i2 weight. On a Xeon with
/// AVX-512 VNNI it decoded the 2B4T shape 1.20x faster than no prefetch,
/// the head alone 26 -> 19 ms (docs/performance.md, "Prefetching the
/// weight stream"); other architectures have not been measured (0).
constexpr int64_t kX86StreamPrefetch = 5120;

/// How matmul kernels and the output head prefetch the weight stream on
/// the x86-64 CPUs whose LLVM names start with `cpuPrefix`: `oneRow` bytes
/// ahead for one token row (decode), `rows` bytes for several (batched
/// decode, prefill), 0 meaning the hardware prefetchers alone, with LLVM's
/// locality hint `locality`. The microarchitecture's caches and
/// prefetchers decide it, not a feature LLVM lists, so the rules are keyed
/// by CPU name and each cites its measurement (docs/performance.md,
/// "Prefetching the weight stream"). The first rule whose prefix matches
/// applies; "" matches every x86-64 CPU.
struct StreamPrefetchRule {
  llvm::StringRef cpuPrefix;
  int64_t oneRow, rows, locality;
};
llvm::ArrayRef<StreamPrefetchRule> streamPrefetchRules();

/// An architecture Tern builds executables for.
struct ArchInfo {
  llvm::Triple::ArchType arch;
  /// The cross-built runtime's folder suffix (<build>-<dir>/lib) and the
  /// CMake toolchain file (cmake/<toolchain>) that builds it.
  llvm::StringRef dir, toolchain;
  /// How an executable runs on an x86-64 host (the command prefix).
  llvm::StringRef runner;
};
llvm::ArrayRef<ArchInfo> archTable();
const ArchInfo *findArch(llvm::Triple::ArchType arch);

/// A named target: `--target NAME`.
struct NamedTarget {
  llvm::StringRef name, triple, cpu, features, summary;
};
llvm::ArrayRef<NamedTarget> targetTable();

struct Target {
  std::string name; ///< as given (native, znver4, aarch64+sve, ...)
  llvm::Triple triple;
  std::string cpu;      ///< LLVM's CPU name: the tuning database's key
  std::string features; ///< explicit LLVM features, "+a,+b" (may be empty)

  /// Whether the target has the LLVM feature `f` (explicitly or through its
  /// CPU).
  bool hasFeature(llvm::StringRef f) const;
  /// Whether it is this machine's architecture (its executables link with
  /// the host runtime and run here directly).
  bool isHostArch() const;
  const ArchInfo *arch() const { return findArch(triple.getArch()); }
  /// Bytes ahead in the weight stream that matmul kernels and the output
  /// head over `rows` token rows prefetch by default (tern-select-kernels;
  /// --prefetch overrides): the first of streamPrefetchRules() that
  /// matches the CPU on x86-64, none elsewhere (not measured).
  int64_t streamPrefetch(int64_t rows) const;
  /// LLVM's locality hint for those prefetches, from the same rule: 3
  /// (into L1, `prefetcht0`) on AMD Zen 5 and other Zen, 1 (`prefetcht2`)
  /// elsewhere.
  int64_t streamPrefetchLocality() const;
  /// The vector register file code for this target holds its values in:
  /// x86-64 32 registers of 64 bytes with AVX-512, 16 of 32 with AVX, 16
  /// of 16 (SSE) otherwise; AArch64 and RISC-V 32 of 16 bytes (NEON; SVE
  /// and RVV registers are at least that long, their length is not known
  /// at compile time). Tiles of sums kept in registers are sized by it.
  struct VectorRegisters {
    int64_t count, bytes;
  };
  VectorRegisters vectorRegisters() const;
  /// The features LLVM generates code with: `features`, then what Tern
  /// turns off because its code runs faster without it. x86-64 CPUs with
  /// AVX512-FP16 (Sapphire Rapids and later): -avx512fp16, so that f16 ->
  /// f32 conversions (the lossless head's and the embedding's weights) are
  /// vcvtph2ps, not AVX512-FP16's vcvtph2psx: on a Xeon with AMX the
  /// executable decoded the 2B4T shape 1.05x faster, 6 of 7 alternating
  /// rounds (docs/performance.md, "Prefill on AMX tiles"). Tern's code has
  /// no f16 arithmetic (f16 is a storage type), so nothing else changes.
  std::string codegenFeatures() const;
};

/// Resolves a `--target` name; errors list the supported targets.
llvm::Expected<Target> resolveTarget(llvm::StringRef name);
/// This machine.
Target hostTarget();

/// "native, x86-64, ..." for messages and help texts.
std::string supportedTargets();

} // namespace mlir::tern

#endif // TERN_COMPILER_TARGET_TARGET_H
