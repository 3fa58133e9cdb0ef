//===- CpuStateTest.cpp - Asking the OS for the kernels' process state ----===//

#include "runtime/support/CpuState.h"

#include <gtest/gtest.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace {

/// Whether the CPU reports AMX-TILE (CPUID leaf 7, EDX bit 24).
bool cpuHasAmxTiles() {
#if defined(__x86_64__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (d >> 24 & 1);
#else
  return false;
#endif
}

TEST(CpuState, UnknownStatesAreRefusedByName) {
  EXPECT_EQ(tern::requestCpuState("avx-tiles"),
            "unknown process state 'avx-tiles' (known: amx-tiles)");
  // A list fails on its first refusal: the unknown name where the tiles
  // are granted, the tiles' refusal where they are not.
  const std::string tiles = tern::requestCpuState(tern::kAmxTilesState);
  EXPECT_EQ(tern::requestCpuStates("amx-tiles,avx-tiles"),
            tiles.empty() ? tern::requestCpuState("avx-tiles") : tiles);
}

TEST(CpuState, AnEmptyListNeedsNothing) {
  EXPECT_EQ(tern::requestCpuStates(""), "");
  EXPECT_EQ(tern::requestCpuStates(",,"), "");
}

TEST(CpuState, AmxTilesAreGrantedWhereTheCpuHasThem) {
  const std::string answer = tern::requestCpuState(tern::kAmxTilesState);
  // The same answer every time (asked once per process).
  EXPECT_EQ(tern::requestCpuState(tern::kAmxTilesState), answer);
  EXPECT_EQ(tern::requestCpuStates("amx-tiles,amx-tiles"), answer);
  if (!cpuHasAmxTiles()) {
    EXPECT_NE(answer, "") << "granted on a CPU without AMX";
    return;
  }
#if defined(__linux__)
  // Linux 5.16 and later grant it to any process that asks.
  EXPECT_EQ(answer, "");
#endif
}

} // namespace
