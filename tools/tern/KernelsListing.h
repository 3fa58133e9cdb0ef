//===- KernelsListing.h - tern kernels: the registries as text --*- C++ -*-===//
//
// What `tern kernels` prints: the kernel families (and which the host
// runs), the packings and the named targets, as a terminal table or as
// docs/kernels.md (`--markdown`). Everything comes from the registries.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TOOLS_TERN_KERNELSLISTING_H
#define TERN_TOOLS_TERN_KERNELSLISTING_H

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

namespace tern::cli {

/// The terminal table; the families this machine runs are starred.
void printKernelsText(llvm::raw_ostream &os);
/// docs/kernels.md. Fails if a named target does not resolve.
llvm::Error printKernelsMarkdown(llvm::raw_ostream &os);

} // namespace tern::cli

#endif // TERN_TOOLS_TERN_KERNELSLISTING_H
