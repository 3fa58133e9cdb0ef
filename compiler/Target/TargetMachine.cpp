//===- TargetMachine.cpp - LLVM code generation for a Target --------------===//

#include "compiler/Target/TargetMachine.h"

#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Target/TargetOptions.h"

using namespace mlir::tern;

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
mlir::tern::createTargetMachine(const Target &target) {
  std::string error;
  const llvm::Target *t =
      llvm::TargetRegistry::lookupTarget(target.triple, error);
  if (!t)
    return llvm::createStringError("target " + target.triple.str() + ": " +
                                   error);
  llvm::TargetOptions to;
  // RISC-V Linux passes floating-point values in FP registers (lp64d), as
  // the cross-built runtime does.
  if (target.triple.isRISCV64())
    to.MCOptions.ABIName = "lp64d";
  std::unique_ptr<llvm::TargetMachine> tm(t->createTargetMachine(
      target.triple, target.cpu, target.codegenFeatures(), to,
      llvm::Reloc::PIC_, std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!tm)
    return llvm::createStringError("cannot create a target machine for " +
                                   target.name);
  return tm;
}

void mlir::tern::optimizeForTarget(llvm::Module &ir, llvm::TargetMachine &tm,
                                   const Target &target) {
  for (llvm::Function &f : ir)
    if (!f.isDeclaration()) {
      f.addFnAttr("target-cpu", target.cpu);
      if (const std::string feats = target.codegenFeatures(); !feats.empty())
        f.addFnAttr("target-features", feats);
    }
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  // RISC-V: LLVM's loop and SLP vectorizers stay off. The generated kernels
  // and the network ops are vector code already; what the vectorizers would
  // add are vector float-to-int `rtz` conversions (the activation
  // quantization), which stop Debian's qemu-riscv64 7.2, where the RVV
  // executables are tested, with an assertion in its translator (any
  // vfcvt.rtz / vfncvt.rtz).
  llvm::PipelineTuningOptions pto;
  if (target.triple.isRISCV64())
    pto.LoopVectorization = pto.SLPVectorization = false;
  llvm::PassBuilder pb(&tm, pto);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm =
      pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2);
  mpm.run(ir, mam);
}

llvm::Expected<std::function<llvm::Error(llvm::Module *)>>
mlir::tern::jitOptimizer(const Target &target) {
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> tm =
      createTargetMachine(target);
  if (!tm)
    return tm.takeError();
  std::shared_ptr<llvm::TargetMachine> machine = std::move(*tm);
  return [machine, target](llvm::Module *ir) {
    ir->setDataLayout(machine->createDataLayout());
    optimizeForTarget(*ir, *machine, target);
    return llvm::Error::success();
  };
}
