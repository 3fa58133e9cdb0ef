//===- Base3V.h - The base3v packing's digit code ----------------*- C++ -*-===//
#ifndef TERN_COMPILER_PACKINGS_BASE3V_H
#define TERN_COMPILER_PACKINGS_BASE3V_H

#include "compiler/Packings/Packing.h"

namespace mlir::tern {
/// base3v's stored byte for the digit value d (0..242), and digit j (0..4,
/// most significant first) of a stored byte q.
uint8_t base3vEncode(unsigned d);
unsigned base3vDigit(uint8_t q, int j);
} // namespace mlir::tern

#endif // TERN_COMPILER_PACKINGS_BASE3V_H
