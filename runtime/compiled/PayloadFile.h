//===- PayloadFile.h - Finding and describing an executable's payload -----===//
//
// The payload of an executable built by `tern compile` is a GGUF file (the
// model's metadata, tern.* keys from tern_abi.h and the weights blob),
// appended to the executable or written beside it as OUT.weights. Reading
// it needs no generated code, so `tern inspect EXE` describes any
// executable, of any target, the way `EXE --info` does.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_COMPILED_PAYLOADFILE_H
#define TERN_RUNTIME_COMPILED_PAYLOADFILE_H

#include "runtime/model/Gguf.h"
#include "runtime/model/OrError.h"

#include <string>

namespace tern {

/// The payload of the executable at `exePath`: the appended GGUF (found by
/// its trailer), else `<exePath>.weights`. Errors name both places.
OrError<GgufFile> openPayload(const std::string &exePath);

/// Whether `path` is an executable built by tern compile: an ELF file with
/// a payload trailer, or with `<path>.weights` beside it.
bool isCompiledExecutable(const std::string &path);

/// What the executable is: the model, the Tern version and the exact
/// `tern compile` command that made it, the target and CPU, the kernel
/// families and packings chosen, head format, context, prefill rows,
/// threads and weights. One "key: value" line each.
OrError<std::string> describePayload(const GgufFile &payload);

} // namespace tern

#endif // TERN_RUNTIME_COMPILED_PAYLOADFILE_H
