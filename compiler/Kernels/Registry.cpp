//===- Registry.cpp - The registry of generated kernel families -----------===//

#include "compiler/Kernels/KernelFamily.h"

#include "dialects/Tern/IR/TernDialect.h"

#include "mlir/IR/MLIRContext.h"

using namespace mlir;
using namespace mlir::tern;

ArrayRef<const KernelFamily *> mlir::tern::kernelFamilies() {
  static const SmallVector<const KernelFamily *> all = {
#define TERN_KERNEL_FAMILY(ID) &ID##Family(),
#include "compiler/Kernels/Families.def"
  };
  return all;
}

const KernelFamily *mlir::tern::findKernelFamily(StringRef name) {
  for (const KernelFamily *f : kernelFamilies())
    if (f->name == name)
      return f;
  return nullptr;
}

std::string mlir::tern::kernelFamilyNames() {
  std::string out;
  for (const KernelFamily *f : kernelFamilies())
    out += (out.empty() ? "" : ", ") + f->name.str();
  return out;
}

const KernelFamily *mlir::tern::quadDotFamilyFor(const Target &target) {
  const KernelFamily *best = nullptr;
  for (const KernelFamily *f : familiesFor(target))
    if (f->quadDot && (!best || f->decodeRank < best->decodeRank))
      best = f;
  return best;
}

std::string mlir::tern::checkQuadDot(StringRef family) {
  const KernelFamily *f = findKernelFamily(family);
  if (!f)
    return "unknown kernel family '" + family.str() + "' (expected one of " +
           kernelFamilyNames() + ")";
  if (!f->quadDot)
    return "the " + family.str() +
           " family has no multiply-add of byte quads for the integer heads";
  return {};
}

bool KernelFamily::runsOn(const Target &target) const {
  if (target.triple.getArch() != arch)
    return false;
  for (const auto &set : features)
    if (llvm::all_of(set, [&](StringRef f) { return target.hasFeature(f); }))
      return true;
  return false;
}

std::vector<const KernelFamily *> mlir::tern::familiesFor(const Target &t) {
  std::vector<const KernelFamily *> out;
  for (const KernelFamily *f : kernelFamilies())
    if (f->runsOn(t))
      out.push_back(f);
  return out;
}

std::vector<std::string> mlir::tern::kernelFeatures(const Target &t) {
  std::vector<std::string> out;
  for (const KernelFamily *f : kernelFamilies())
    if (f->arch == t.triple.getArch())
      for (const auto &set : f->features)
        for (StringRef feature : set)
          if (!llvm::is_contained(out, feature.str()) && t.hasFeature(feature))
            out.push_back(feature.str());
  return out;
}

std::string mlir::tern::checkKernel(StringRef family, const Layout &layout,
                                    int64_t k, int64_t prefetch) {
  const KernelFamily *f = findKernelFamily(family);
  if (!f)
    return "unknown kernel family '" + family.str() + "' (expected one of " +
           kernelFamilyNames() + ")";
  if (k > 0 && !layout.check(k).empty())
    return layout.check(k);
  // Without a K: whether the family reads rows of some number of blocks
  // (one block per row for sve, whole vectors of pairs for lut512, ...).
  auto readsSome = [&] {
    for (int64_t blocks : {1, 2, 4, 8})
      if (f->reads(layout, blocks * layout.block))
        return true;
    return false;
  };
  if (k > 0 ? !f->reads(layout, k) : !readsSome())
    return "the " + family.str() + " kernels do not read " + layout.str() +
           (k > 0 ? " rows of " + std::to_string(k) + " weights" : "");
  if (prefetch > 0 && !f->prefetches)
    return "the " + family.str() + " kernels do not prefetch (prefetch = " +
           std::to_string(prefetch) + ")";
  return {};
}

KernelChoice mlir::tern::withPrefetch(KernelChoice c, int64_t m,
                                      int64_t bytes, int64_t locality) {
  if (c) {
    const bool rows = m <= kPrefetchRows || c.family->prefetchesPrefill;
    c.prefetch = c.family->prefetches && rows ? bytes : 0;
    c.locality = c.prefetch ? locality : KernelAttr::kDefaultLocality;
  }
  return c;
}

void mlir::tern::registerKernelRegistry(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *, TernDialect *dialect) {
    dialect->kernelFamilyCheck = [](StringRef family, const Layout &layout,
                                    int64_t prefetch) {
      return checkKernel(family, layout, /*k=*/0, prefetch);
    };
    dialect->quadDotCheck = [](StringRef family) {
      return checkQuadDot(family);
    };
  });
}

//===----------------------------------------------------------------------===//
// KernelChoice
//===----------------------------------------------------------------------===//

std::string mlir::tern::prefetchLocalityText(int64_t locality) {
  if (locality == 3)
    return " into L1";
  if (locality == kDefaultPrefetchLocality)
    return "";
  return " (locality " + std::to_string(locality) + ")";
}

std::string KernelChoice::str() const {
  if (!family)
    return "reference lowering";
  return family->name.str() + " " + layout.str() + " tile " +
         std::to_string(tile.m) + "x" + std::to_string(tile.n) +
         (prefetch ? ", prefetch " + std::to_string(prefetch) +
                         prefetchLocalityText(locality)
                   : "");
}

KernelAttr KernelChoice::attr(MLIRContext *ctx) const {
  return KernelAttr::get(ctx, StringAttr::get(ctx, family->name),
                         layout.packing, layout.block, tile.m, tile.n,
                         prefetch, locality);
}

KernelChoice KernelChoice::fromAttr(KernelAttr attr) {
  KernelChoice c;
  c.family = findKernelFamily(attr.getFamily().getValue());
  c.layout = attr.getLayout();
  c.tile = {attr.getTileM(), attr.getTileN()};
  c.prefetch = attr.getPrefetch();
  c.locality = attr.getLocality();
  return c;
}
