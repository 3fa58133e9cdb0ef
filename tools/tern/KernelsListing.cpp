//===- KernelsListing.cpp - tern kernels: the registries as text ----------===//

#include "tools/tern/KernelsListing.h"

#include "compiler/Import/ModelImporter.h"
#include "compiler/Kernels/KernelFamily.h"
#include "compiler/Packings/Packing.h"
#include "compiler/Target/Target.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"

#include <string>
#include <vector>

namespace mt = mlir::tern;

namespace {
/// The row length the layouts and default tiles are shown for: the 2B4T
/// model's hidden size, the K of most of its matmuls.
constexpr int64_t kShownK = 2560;

std::string rank(int r) {
  return r == mt::KernelFamily::kNever ? std::string("-") : std::to_string(r);
}

/// "avxvnni or avx512vnni+avx512vl" (", OS: amx-tiles" where the family
/// needs process state from the operating system).
std::string features(const mt::KernelFamily &f) {
  std::vector<std::string> sets;
  for (const auto &set : f.features)
    sets.push_back(llvm::join(set, "+"));
  std::string out = llvm::join(sets, " or ");
  if (!f.osState.empty())
    out += ", OS: " + f.osState.str();
  return out;
}

/// The prefill rank, with the fewest rows it is ranked for where that is
/// more than 2 ("0 (M >= 16)").
std::string prefillRank(const mt::KernelFamily &f) {
  std::string out = rank(f.prefillRank);
  if (f.prefillRank != mt::KernelFamily::kNever && f.minRows > 2)
    out += " (M >= " + std::to_string(f.minRows) + ")";
  return out;
}

/// The blocks of `p` a family reads for rows of k: "any block" when it
/// reads every block the packing allows, "" when none.
std::string blocksRead(const mt::KernelFamily &f, const mt::Packing &p,
                       int64_t k) {
  std::vector<std::string> read;
  int64_t valid = 0;
  for (int64_t b = p.blockMultiple; b <= k; b += p.blockMultiple) {
    if (k % b)
      continue;
    ++valid;
    if (f.reads({&p, b}, k))
      read.push_back(std::to_string(b));
  }
  if (read.empty())
    return "";
  if (static_cast<int64_t>(read.size()) == valid && valid > 4)
    return "any block";
  return "block " + llvm::join(read, ", ");
}

/// "i2 (block 128, 256); base3v (block 320)".
std::string layoutsRead(const mt::KernelFamily &f) {
  std::vector<std::string> out;
  for (const mt::Packing *p : mt::packings())
    if (std::string b = blocksRead(f, *p, kShownK); !b.empty())
      out.push_back(p->name.str() + " (" + b + ")");
  return llvm::join(out, "; ");
}

/// "8x2", or "4x1 of 16x16" for families whose tiles count larger units.
std::string defaultTile(const mt::KernelFamily &f, int64_t m) {
  // At K = 2560 no family's tile depends on prefetching.
  mt::Tile t = f.defaultTile(m, kShownK, /*prefetch=*/0);
  std::string out = std::to_string(t.m) + "x" + std::to_string(t.n);
  if (!(f.tileUnit == mt::Tile{1, 1}))
    out += " of " + std::to_string(f.tileUnit.m) + "x" +
           std::to_string(f.tileUnit.n);
  return out;
}

void familiesMarkdown(llvm::raw_ostream &os) {
  os << "## Kernel families\n\n"
        "Ranks order a target's families when no tuning database decides "
        "(lower first; `-`: never a default; `M >= 16`: only for prefill "
        "of that many rows). Tiles are the defaults for "
        "K = 2560 (decode: M = 1; prefill: M = " +
              std::to_string(mlir::tern::kDefaultPrefillRows) + "); layouts read are for "
        "rows of K = 2560. Families that prefetch take `#tern.kernel`'s "
        "`prefetch` distance (the target's by default, 5120 bytes "
        "on x86-64, none for one token row on Zen 4; `tern compile "
        "--prefetch`) on matmuls of up to " +
              std::to_string(mlir::tern::kPrefetchRows) +
              " rows (\"decode\") or of every M (\"decode, prefill\"). "
        "\"integer heads\": the bytes per "
        "multiply-add of byte quads the family gives the integer heads "
        "(int8, q4, the screened head's scan) "
        "(`tern.lm_head ... {dot = ...}`, the first such family of a target "
        "by decode rank); \"whole bytes\": exact for unsigned bytes up to "
        "255, so the screen's scan multiplies offset codes.\n\n"
        "| family | arch | needs | decode / prefill rank | default tile "
        "(decode, prefill) | prefetches | integer heads | layouts read (K = 2560) "
        "| what it does |\n"
        "|---|---|---|---|---|---|---|---|---|\n";
  for (const mt::KernelFamily *f : mt::kernelFamilies())
    os << "| `" << f->name << "` | "
       << llvm::Triple::getArchTypeName(f->arch) << " | " << features(*f)
       << " | " << rank(f->decodeRank) << " / " << prefillRank(*f)
       << " | " << defaultTile(*f, 1) << ", "
       << defaultTile(*f, mlir::tern::kDefaultPrefillRows) << " | "
       << (!f->prefetches           ? "-"
           : f->prefetchesPrefill ? "decode, prefill"
                                  : "decode")
       << " | "
       << (f->quadDot ? std::to_string(f->quadBytes) + " bytes" +
                            (f->quadDotFullBytes ? ", whole bytes" : "")
                      : "-")
       << " | " << layoutsRead(*f) << " | " << f->summary << " |\n";
}

void packingsMarkdown(llvm::raw_ostream &os) {
  os << "\n## Packings\n\n"
        "| packing | block | rows packed together | weights per byte in "
        "vector order | tuned blocks (K = 2560) | what it is |\n"
        "|---|---|---|---|---|---|\n";
  for (const mt::Packing *p : mt::packings()) {
    std::vector<std::string> tuned;
    if (p->tuneBlocks)
      for (int64_t b : p->tuneBlocks(kShownK))
        tuned.push_back(std::to_string(b));
    os << "| `" << p->name << "` | multiple of " << p->blockMultiple << " | "
       << p->rowGroup << " | "
       << (p->vectorPositions ? std::to_string(p->vectorPositions)
                              : std::string("-"))
       << " | " << (tuned.empty() ? "-" : llvm::join(tuned, ", ")) << " | "
       << p->summary << " |\n";
  }
}

llvm::Error targetsMarkdown(llvm::raw_ostream &os) {
  os << "\n## Named cross targets\n\n"
        "Besides `native` and any x86-64 CPU name LLVM knows.\n\n"
        "| target | triple | CPU | features | families | prefetch "
        "(bytes) | runs here with |\n|---|---|---|---|---|---|---|\n";
  for (const mt::NamedTarget &n : mt::targetTable()) {
    llvm::Expected<mt::Target> t = mt::resolveTarget(n.name);
    if (!t)
      return t.takeError();
    std::vector<std::string> fams;
    for (const mt::KernelFamily *f : mt::familiesFor(*t))
      fams.push_back("`" + f->name.str() + "`");
    const mt::ArchInfo *a = t->arch();
    os << "| `" << n.name << "` | " << n.triple << " | " << n.cpu << " | "
       << n.features << " | " << llvm::join(fams, ", ") << " | "
       << t->streamPrefetch(1)
       << mt::prefetchLocalityText(t->streamPrefetchLocality()) << " | `"
       << (a ? a->runner : "") << "` |\n";
  }
  return llvm::Error::success();
}
} // namespace

llvm::Error tern::cli::printKernelsMarkdown(llvm::raw_ostream &os) {
  os << "# Kernel families, packings and targets\n\n"
        "Generated by `tern kernels --markdown` from the registries "
        "(`compiler/Kernels/Families.def`, `compiler/Packings/Packings.def`, "
        "`compiler/Target/Target.cpp`); `cmake --build build --target "
        "tern-docs` refreshes this file and a lit test checks it is "
        "current. docs/adding-a-lowering.md explains how to add a row.\n\n";
  familiesMarkdown(os);
  packingsMarkdown(os);
  return targetsMarkdown(os);
}

void tern::cli::printKernelsText(llvm::raw_ostream &os) {
  const std::vector<const mt::KernelFamily *> here =
      mt::familiesFor(mt::hostTarget());
  os << "Kernel families (compiler/Kernels/Families.def; * runs on this "
        "machine, "
     << mt::hostTarget().cpu << "):\n";
  for (const mt::KernelFamily *f : mt::kernelFamilies())
    os << llvm::format("%c %-13s %-8s %-26s rank %3s / %-3s ",
                       llvm::is_contained(here, f) ? '*' : ' ',
                       f->name.str().c_str(),
                       llvm::Triple::getArchTypeName(f->arch).str().c_str(),
                       features(*f).c_str(), rank(f->decodeRank).c_str(),
                       prefillRank(*f).c_str())
       << f->summary << "\n      reads at K = 2560: " << layoutsRead(*f)
       << (!f->prefetches ? ""
           : f->prefetchesPrefill
               ? "; prefetches the weight stream (decode and prefill)"
               : "; prefetches the weight stream (decode)")
       << (f->quadDot ? "; integer heads sum in " + std::to_string(f->quadBytes) +
                            "-byte quads" +
                            (f->quadDotFullBytes ? " of whole unsigned bytes"
                                                 : "")
                      : "")
       << "\n";
  os << "Packings (compiler/Packings/Packings.def):\n";
  for (const mt::Packing *p : mt::packings())
    os << llvm::format("  %-8s block %% %-3lld rows %% %-3lld ",
                       p->name.str().c_str(), (long long)p->blockMultiple,
                       (long long)p->rowGroup)
       << p->summary << "\n";
  os << "Targets: " << mt::supportedTargets() << "\n";
  const mt::Target host = mt::hostTarget();
  os << "Prefetch distance on this machine: " << host.streamPrefetch(1)
     << " bytes for one token row, " << host.streamPrefetch(2)
     << " for several (tern compile --prefetch BYTES; 0: none), locality "
     << host.streamPrefetchLocality()
     << (host.streamPrefetchLocality() == 3 ? " (into L1)" : "")
     << " (--prefetch-locality 0-3)\n";
}
