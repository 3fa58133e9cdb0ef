//===- tern.cpp - The tern driver -----------------------------------------===//
//
// One command for users with subcommands (tern --help lists them): those
// over the runtime in RuntimeCommands.cpp, those over the compiler in
// CompilerCommands.cpp (Driver.h).
//
//===----------------------------------------------------------------------===//

#include "tools/tern/Driver.h"

#include "runtime/support/Text.h"
#include "runtime/support/Version.h"

#include "llvm/ADT/StringRef.h"

#include <algorithm>
#include <iterator>
#include <string>
#include <vector>
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

/// One model convention across subcommands: `-m MODEL` (or --model) works
/// wherever a subcommand takes its model as the first argument (bench,
/// perplexity, inspect, convert, compile, tune): it becomes that argument.
static std::vector<std::string> modelFirst(int argc, char **argv) {
  std::vector<std::string> args(argv, argv + argc);
  static const char *const takesModel[] = {
      "bench", "perplexity", "inspect", "convert", "compile", "tune", "serve"};
  if (args.size() < 3 ||
      std::find(std::begin(takesModel), std::end(takesModel), args[1]) ==
          std::end(takesModel))
    return args;
  for (size_t i = 2; i < args.size(); ++i) {
    llvm::StringRef a(args[i]);
    if ((a == "-m" || a == "--model") && i + 1 < args.size()) {
      std::string model = args[i + 1];
      args.erase(args.begin() + i, args.begin() + i + 2);
      args.insert(args.begin() + 2, model);
      break;
    }
    if (a.starts_with("--model=")) {
      std::string model = a.drop_front(8).str();
      args.erase(args.begin() + i);
      args.insert(args.begin() + 2, model);
      break;
    }
  }
  return args;
}

static std::string &commandLineStorage() {
  static std::string line;
  return line;
}

const std::string &tern::cli::commandLine() { return commandLineStorage(); }

/// `arg` as one shell word: as is when it is plain, else single-quoted.
static std::string shellWord(llvm::StringRef arg) {
  if (!arg.empty() &&
      arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                            "0123456789-_./=:,+@%") == llvm::StringRef::npos)
    return arg.str();
  std::string out = "'";
  for (char c : arg)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

int main(int argc, char **argv) {
  for (int i = 0; i < argc; ++i)
    commandLineStorage() +=
        (i ? " " : "") + shellWord(i ? argv[i] : "tern");
  std::vector<std::string> normalized = modelFirst(argc, argv);
  std::vector<char *> argvNormalized;
  for (std::string &a : normalized)
    argvNormalized.push_back(a.data());
  argvNormalized.push_back(nullptr);
  argv = argvNormalized.data();
  argc = static_cast<int>(normalized.size());
  if (argc >= 2 && llvm::StringRef(argv[1]) == "run")
    return tern::cli::runRun(std::vector<std::string>(argv + 2, argv + argc));
  if (argc >= 2 && llvm::StringRef(argv[1]) == "bench")
    return tern::cli::runBench(
        std::vector<std::string>(argv + 2, argv + argc));
  if (argc >= 2 && llvm::StringRef(argv[1]) == "serve")
    return tern::cli::runServe(
        std::vector<std::string>(argv + 2, argv + argc));
  if (argc >= 2 && llvm::StringRef(argv[1]) == "perplexity")
    return tern::cli::runPerplexity(
        std::vector<std::string>(argv + 2, argv + argc));
  llvm::InitLLVM init(argc, argv);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "tern (Tern " << tern::ternVersion() << ")\n";
  });
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
