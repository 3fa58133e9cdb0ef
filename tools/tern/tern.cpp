//===- tern.cpp - The tern driver -----------------------------------------===//
//
// One command for users with subcommands (tern --help lists them): those
// over the runtime in RuntimeCommands.cpp, those over the compiler in
// CompilerCommands.cpp (Driver.h).
//
//===----------------------------------------------------------------------===//

#include "tools/tern/Driver.h"

#include "runtime/support/Text.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;

cl::OptionCategory &tern::cli::category() {
  static cl::OptionCategory c("tern options");
  return c;
}

int tern::cli::fail(const llvm::Twine &message) {
  tern::printError("tern", message.str());
  return 1;
}

static std::vector<std::pair<cl::SubCommand *, tern::cli::RunFn>> &entries() {
  static std::vector<std::pair<cl::SubCommand *, tern::cli::RunFn>> e;
  return e;
}

tern::cli::Registration::Registration(cl::SubCommand &command, RunFn run) {
  entries().push_back({&command, run});
}

const std::vector<std::pair<cl::SubCommand *, tern::cli::RunFn>> &
tern::cli::registered() {
  return entries();
}

int main(int argc, char **argv) {
  if (argc >= 2 && llvm::StringRef(argv[1]) == "run")
    return tern::cli::runRun(std::vector<std::string>(argv + 2, argv + argc));
  if (argc >= 2 && llvm::StringRef(argv[1]) == "bench")
    return tern::cli::runBench(
        std::vector<std::string>(argv + 2, argv + argc));
  if (argc >= 2 && llvm::StringRef(argv[1]) == "perplexity")
    return tern::cli::runPerplexity(
        std::vector<std::string>(argv + 2, argv + argc));
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(tern::cli::category());
  if (!cl::ParseCommandLineOptions(argc, argv,
                                   "tern: a compiler toolchain for ternary LLMs\n",
                                   &llvm::errs()))
    return 1;
  for (const auto &[command, run] : tern::cli::registered())
    if (*command)
      return run();
  cl::PrintHelpMessage();
  return 1;
}
