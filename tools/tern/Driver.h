//===- Driver.h - What the tern driver's command files share --------------===//
//
// `tern` is one executable with subcommands in three files: the runtime's
// (RuntimeCommands.cpp: run, bench, perplexity, inspect, tokenize,
// detokenize, synth, convert, compare-logits; ScreenStudyCommand.cpp:
// screen-study), which need only the runtime and LLVM's command line
// library, and the compiler's (CompilerCommands.cpp: compile, tune,
// kernels), built only with the compiler. A build without MLIR
// (-DTERN_ENABLE_COMPILER=OFF, as CI's sanitizer build) has the runtime's.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TOOLS_TERN_DRIVER_H
#define TERN_TOOLS_TERN_DRIVER_H

#include "llvm/Support/CommandLine.h"

#include <string>
#include <utility>
#include <vector>

namespace tern::cli {

/// The category every tern option is in (--help shows only these).
llvm::cl::OptionCategory &category();

/// Prints "tern: error: <message>" (escaped) and returns 1.
int fail(const llvm::Twine &message);

using RunFn = int (*)();

/// Registers a subcommand's entry point with main (from a static
/// initializer beside the subcommand's options).
struct Registration {
  Registration(llvm::cl::SubCommand &command, RunFn run);
};

/// The command line tern was started with, as a shell would take it
/// (arguments quoted where needed): `tern compile` records it.
const std::string &commandLine();

/// The registered subcommands.
const std::vector<std::pair<llvm::cl::SubCommand *, RunFn>> &registered();

/// tern run, bench and perplexity parse their own flags
/// (runtime/generate/RunCli.h, Perplexity.h) and are dispatched before
/// LLVM's parser sees them.
int runRun(const std::vector<std::string> &args);
int runBench(const std::vector<std::string> &args);
int runPerplexity(const std::vector<std::string> &args);
int runServe(const std::vector<std::string> &args);

} // namespace tern::cli

#endif // TERN_TOOLS_TERN_DRIVER_H
