//===- Version.h - Tern's version -----------------------------------------===//
#ifndef TERN_RUNTIME_SUPPORT_VERSION_H
#define TERN_RUNTIME_SUPPORT_VERSION_H

namespace tern {

/// The project version from CMakeLists.txt ("0.5.0"), which `--version`
/// prints and compiled executables record.
const char *ternVersion();

} // namespace tern

#endif // TERN_RUNTIME_SUPPORT_VERSION_H
