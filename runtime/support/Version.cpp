//===- Version.cpp - Tern's version ---------------------------------------===//

#include "runtime/support/Version.h"

namespace tern {

const char *ternVersion() { return TERN_VERSION; }

} // namespace tern
