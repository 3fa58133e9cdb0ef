//===- Backend.cpp - LLVM IR to an executable -----------------------------===//

#include "compiler/Driver/Backend.h"

#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetOptions.h"

#include <cstdio>
#include <cstring>

using namespace mlir;
using namespace mlir::tern;
namespace rt = ::tern;

namespace {
llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(message.str());
}

llvm::Expected<std::string> findTool(llvm::StringRef name,
                                     llvm::StringRef package) {
  llvm::SmallString<128> p("/usr/lib/llvm-22/bin");
  llvm::sys::path::append(p, name);
  if (llvm::sys::fs::can_execute(p))
    return std::string(p);
  if (auto found = llvm::sys::findProgramByName((name + "-22").str()))
    return *found;
  return fail(name + " (LLVM 22) not found: install " + package +
              " (tools/setup.sh does)");
}
} // namespace

llvm::Expected<std::unique_ptr<llvm::Module>>
mlir::tern::translateAndOptimize(ModuleOp module, llvm::LLVMContext &ctx,
                                 llvm::TargetMachine &tm,
                                 const Target &target) {
  std::unique_ptr<llvm::Module> ir = translateModuleToLLVMIR(module, ctx);
  if (!ir)
    return fail("translation to LLVM IR failed");
  ir->setTargetTriple(target.triple);
  ir->setDataLayout(tm.createDataLayout());
  if (target.triple.isRISCV64())
    ir->addModuleFlag(llvm::Module::Error, "target-abi",
                      llvm::MDString::get(ctx, "lp64d"));
  optimizeForTarget(*ir, tm, target);
  return ir;
}

llvm::Error mlir::tern::emitMachineCode(llvm::Module &ir,
                                        llvm::TargetMachine &tm,
                                        const std::string &path,
                                        bool assembly) {
  std::error_code ec;
  llvm::ToolOutputFile out(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return fail(path + ": " + ec.message());
  llvm::legacy::PassManager cg;
  if (tm.addPassesToEmitFile(cg, out.os(), nullptr,
                             assembly ? llvm::CodeGenFileType::AssemblyFile
                                      : llvm::CodeGenFileType::ObjectFile))
    return fail("the target cannot emit this file type");
  cg.run(ir);
  out.keep();
  return llvm::Error::success();
}

llvm::Error mlir::tern::linkExecutable(const std::string &object,
                                       const std::string &output,
                                       const std::string &runtimeDir,
                                       const Target &target) {
  llvm::Expected<std::string> clang = findTool("clang++", "clang-22");
  if (!clang)
    return clang.takeError();
  const bool host = target.isHostArch();
  if (!llvm::sys::fs::exists(runtimeDir + "/libtern_compiled.a"))
    return fail(runtimeDir + "/libtern_compiled.a not found: " +
                (host ? std::string("build the runtime (cmake --build build) "
                                    "or pass --runtime-lib-dir")
                      : "build the " + target.triple.getArchName().str() +
                            " runtime (tools/setup.sh does) or pass "
                            "--cross-runtime-lib-dir"));
  std::vector<std::string> args = {*clang, "-fuse-ld=lld", "-o", output,
                                   object};
  if (!host) {
    // A static executable: runs under qemu without a sysroot.
    args.push_back("--target=" + target.triple.str());
    args.push_back("-static");
  }
  // The server's library is there when the runtime was built with it (not
  // in cross builds): then it links against Debian's cpp-httplib.
  const bool server = llvm::sys::fs::exists(runtimeDir + "/libtern_serve.a");
  args.push_back("-Wl,--start-group");
  for (const char *lib : {"tern_compiled", "tern_serve", "tern_payload",
                          "tern_generate", "tern_model", "tern_tokenizer",
                          "tern_ternary", "tern_support"})
    if (llvm::StringRef(lib) != "tern_serve" || server)
      args.push_back(runtimeDir + "/lib" + lib + ".a");
  args.push_back("-Wl,--end-group");
  if (host)
    args.push_back("-lpcre2-8");
  if (server)
    args.push_back("-lcpp-httplib");
  for (const char *a : {"-lpthread", "-lm"})
    args.push_back(a);
  std::vector<llvm::StringRef> argRefs(args.begin(), args.end());
  std::string linkError;
  const int rc = llvm::sys::ExecuteAndWait(*clang, argRefs, std::nullopt, {},
                                           0, 0, &linkError);
  if (rc != 0)
    return fail("linking " + output + " failed (" + llvm::join(args, " ") +
                ")" + (linkError.empty() ? "" : ": " + linkError));
  return llvm::Error::success();
}
