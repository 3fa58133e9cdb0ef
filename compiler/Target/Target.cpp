//===- Target.cpp - What `--target` names ---------------------------------===//

#include "compiler/Target/Target.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"

#include <memory>
#include <mutex>

using namespace mlir;
using namespace mlir::tern;

llvm::ArrayRef<ArchInfo> mlir::tern::archTable() {
  static const ArchInfo archs[] = {
      {llvm::Triple::aarch64, "aarch64", "aarch64-linux-gnu.cmake",
       "qemu-aarch64 -cpu max"},
      {llvm::Triple::riscv64, "riscv64", "riscv64-linux-gnu.cmake",
       "qemu-riscv64 -cpu rv64,v=true,Zfhmin=true,vlen=256,vext_spec=v1.0"},
  };
  return archs;
}

const ArchInfo *mlir::tern::findArch(llvm::Triple::ArchType arch) {
  for (const ArchInfo &a : archTable())
    if (a.arch == arch)
      return &a;
  return nullptr;
}

llvm::ArrayRef<NamedTarget> mlir::tern::targetTable() {
  static const NamedTarget targets[] = {
      {"aarch64", "aarch64-unknown-linux-gnu", "generic", "+neon,+dotprod",
       "AArch64 with NEON and the dot-product extension"},
      {"aarch64+sve", "aarch64-unknown-linux-gnu", "generic",
       "+neon,+dotprod,+sve", "AArch64 with SVE (any vector length)"},
      // Zfhmin (in the RVA22 profile) converts the f16 embedding and head
      // rows in hardware; without it LLVM calls a libgcc routine that
      // Debian's riscv64 libgcc 12 lacks.
      {"riscv64+v", "riscv64-unknown-linux-gnu", "generic-rv64",
       "+m,+a,+f,+d,+c,+v,+zfhmin",
       "RISC-V RV64GCV with Zfhmin, vector extension 1.0 (any vector "
       "length)"},
  };
  return targets;
}

namespace {
void initTargets() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
  });
}

llvm::Error fail(const llvm::Twine &why) {
  return llvm::createStringError(why.str());
}
} // namespace

Target mlir::tern::hostTarget() {
  Target t;
  t.name = "native";
  t.triple = llvm::Triple(llvm::sys::getProcessTriple());
  t.cpu = llvm::sys::getHostCPUName().str();
  std::vector<std::string> feats;
  for (const auto &f : llvm::sys::getHostCPUFeatures())
    feats.push_back((f.second ? "+" : "-") + f.first().str());
  llvm::sort(feats);
  t.features = llvm::join(feats, ",");
  return t;
}

llvm::Expected<Target> mlir::tern::resolveTarget(llvm::StringRef name) {
  initTargets();
  if (name == "native")
    return hostTarget();
  for (const NamedTarget &n : targetTable())
    if (n.name == name) {
      Target t;
      t.name = name.str();
      t.triple = llvm::Triple(n.triple);
      t.cpu = n.cpu.str();
      t.features = n.features.str();
      return t;
    }
  // Any x86-64 CPU LLVM knows.
  Target t;
  t.name = name.str();
  t.triple = llvm::Triple("x86_64-unknown-linux-gnu");
  t.cpu = name.str();
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(t.triple, error);
  if (!target)
    return fail("the X86 backend is not available: " + error);
  std::unique_ptr<llvm::MCSubtargetInfo> sti(
      target->createMCSubtargetInfo(t.triple, "", ""));
  if (!sti || !sti->isCPUStringValid(t.cpu))
    return fail("unknown target '" + name + "': use one of " +
                supportedTargets());
  return t;
}

std::string Target::codegenFeatures() const {
  std::string out = features;
  if (triple.getArch() == llvm::Triple::x86_64 && hasFeature("avx512fp16"))
    out += (out.empty() ? "" : ",") + std::string("-avx512fp16");
  return out;
}

bool Target::hasFeature(llvm::StringRef feature) const {
  const std::string plus = ("+" + feature).str();
  if (llvm::is_contained(llvm::split(features, ','), plus))
    return true;
  if (llvm::is_contained(llvm::split(features, ','), "-" + feature.str()))
    return false;
  initTargets();
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return false;
  std::unique_ptr<llvm::MCSubtargetInfo> sti(
      target->createMCSubtargetInfo(triple, cpu, features));
  return sti && sti->checkFeatures(plus);
}

llvm::ArrayRef<StreamPrefetchRule> mlir::tern::streamPrefetchRules() {
  static const StreamPrefetchRule rules[] = {
      // Zen 4: software prefetches slowed one row's stream. One thread
      // decoded the 2B4T shape 1.29x faster without them (the head 1.6x),
      // two threads 1.10x, at 87-97 % of the read bandwidth instead of
      // 72-89 %; batched decode of 2 to 8 rows ran 1.08-1.17x faster with
      // them ("Prefetching the weight stream on Zen 4").
      {"znver4", 0, kX86StreamPrefetch, 3},
      // Zen 5 (and the Zen CPUs not measured): into L1, 1.079x the
      // locality 1 ("Prefetching into L1 on Zen").
      {"znver", kX86StreamPrefetch, kX86StreamPrefetch, 3},
      // The Intel Xeon with AMX: 1.20x no prefetch; into L1 was slower for
      // its head ("Prefetching the weight stream").
      {"", kX86StreamPrefetch, kX86StreamPrefetch, 1},
  };
  return rules;
}

namespace {
/// The rule for `t`: none (0 bytes) off x86-64.
StreamPrefetchRule streamPrefetchRule(const Target &t) {
  if (t.triple.getArch() == llvm::Triple::x86_64)
    for (const StreamPrefetchRule &r : streamPrefetchRules())
      if (llvm::StringRef(t.cpu).starts_with(r.cpuPrefix))
        return r;
  return {"", 0, 0, 1};
}
} // namespace

int64_t Target::streamPrefetch(int64_t rows) const {
  const StreamPrefetchRule r = streamPrefetchRule(*this);
  return rows == 1 ? r.oneRow : r.rows;
}

int64_t Target::streamPrefetchLocality() const {
  return streamPrefetchRule(*this).locality;
}

Target::VectorRegisters Target::vectorRegisters() const {
  if (triple.getArch() != llvm::Triple::x86_64)
    return {32, 16};
  if (hasFeature("avx512f"))
    return {32, 64};
  return {16, hasFeature("avx") ? 32 : 16};
}

bool Target::isHostArch() const {
  return triple.getArch() ==
         llvm::Triple(llvm::sys::getProcessTriple()).getArch();
}

std::string mlir::tern::supportedTargets() {
  std::string out = "native, x86-64, x86-64-v2, x86-64-v3, x86-64-v4, an x86 "
                    "CPU name such as znver3 or skylake-avx512";
  for (const NamedTarget &n : targetTable())
    out += ", " + n.name.str();
  return out;
}
