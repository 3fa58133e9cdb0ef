//===- Registration.h - What a Tern tool registers --------------*- C++ -*-===//
#ifndef TERN_COMPILER_PIPELINES_REGISTRATION_H
#define TERN_COMPILER_PIPELINES_REGISTRATION_H

namespace mlir {
class DialectRegistry;
namespace tern {

/// The tern dialect, the upstream dialects Tern lowers through, and the
/// external interface models (bufferization, deallocation, to-LLVM) that
/// Tern's pipelines need from them.
void registerTernDialects(DialectRegistry &registry);

/// Tern's passes and pipelines, plus the upstream passes they are made of
/// (for piecewise use from tern-opt).
void registerTernPasses();

} // namespace tern
} // namespace mlir

#endif // TERN_COMPILER_PIPELINES_REGISTRATION_H
