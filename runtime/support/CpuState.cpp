//===- CpuState.cpp - Process state that generated kernels need -----------===//

#include "runtime/support/CpuState.h"

#include <cerrno>
#include <cstring>
#include <mutex>

#if defined(__linux__) && defined(__x86_64__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace tern {
namespace {

std::string requestAmxTiles() {
#if defined(__linux__) && defined(__x86_64__)
  // Linux's arch_prctl codes (asm/prctl.h) and the tile data's XSAVE
  // component (18), as the kernel's AMX documentation gives them.
  constexpr int kReqXcompPerm = 0x1023;
  constexpr int kXfeatureXtiledata = 18;
  if (syscall(SYS_arch_prctl, kReqXcompPerm, kXfeatureXtiledata) == 0)
    return {};
  return std::string("Linux refused the AMX tile state "
                     "(arch_prctl(ARCH_REQ_XCOMP_PERM, XTILEDATA): ") +
         std::strerror(errno) + ")";
#else
  return "AMX tiles need Linux on x86-64";
#endif
}

} // namespace

std::string requestCpuState(const std::string &name) {
  if (name != kAmxTilesState)
    return "unknown process state '" + name + "' (known: " + kAmxTilesState +
           ")";
  static std::once_flag once;
  static std::string answer;
  std::call_once(once, [] { answer = requestAmxTiles(); });
  return answer;
}

std::string requestCpuStates(const std::string &names) {
  size_t start = 0;
  while (start <= names.size()) {
    size_t comma = names.find(',', start);
    if (comma == std::string::npos)
      comma = names.size();
    const std::string name = names.substr(start, comma - start);
    if (!name.empty())
      if (std::string why = requestCpuState(name); !why.empty())
        return why;
    start = comma + 1;
  }
  return {};
}

} // namespace tern
