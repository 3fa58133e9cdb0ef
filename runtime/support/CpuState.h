//===- CpuState.h - Process state that generated kernels need ---*- C++ -*-===//
//
// Some instructions need the operating system's consent before a process
// uses them: on Linux, the AMX tile registers (8 KiB of state per thread)
// are enabled per process with arch_prctl(ARCH_REQ_XCOMP_PERM,
// XFEATURE_XTILEDATA); without it the first tile instruction faults.
// Kernel families that need such state name it (the registry's `osState`),
// compiled executables record it in their payload (tern.cpu_state), and the
// runtime and the kernel JIT ask for it here before any kernel runs.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_SUPPORT_CPUSTATE_H
#define TERN_RUNTIME_SUPPORT_CPUSTATE_H

#include <string>

namespace tern {

/// The state names requestCpuState knows ("amx-tiles").
constexpr const char *kAmxTilesState = "amx-tiles";

/// Asks for the process state `name` (once per process; later calls return
/// the first answer). "" when granted, else why not (an unknown name, a
/// system without it, the kernel's refusal).
std::string requestCpuState(const std::string &name);

/// requestCpuState for each name of a comma-separated list; "" when all
/// are granted, else the first failure.
std::string requestCpuStates(const std::string &names);

} // namespace tern

#endif // TERN_RUNTIME_SUPPORT_CPUSTATE_H
