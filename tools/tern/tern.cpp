//===- tern.cpp - The tern driver -----------------------------------------===//
//
// One command for users, with subcommands:
//   tern tokenize   --tokenizer FILE [--ids] [--bos] [--special] [TEXT | -]
//   tern detokenize --tokenizer FILE [IDS... | -]
// More subcommands (run, inspect, synth, compile) join as their stages land.
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/Tokenizer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace cl = llvm::cl;

static cl::OptionCategory ternCategory("tern options");

static cl::SubCommand tokenizeCmd("tokenize",
                                  "Print the token ids of a text (or stdin)");
static cl::SubCommand detokenizeCmd("detokenize",
                                    "Print the text of token ids (or stdin)");

static cl::opt<std::string>
    tokenizerPath("tokenizer",
                  cl::desc("LLaMA-3 tokenizer.model (tiktoken rank file)"),
                  cl::value_desc("FILE"), cl::sub(tokenizeCmd),
                  cl::sub(detokenizeCmd), cl::cat(ternCategory));
static cl::opt<bool> idsOnly("ids",
                             cl::desc("Print only the ids, on one line"),
                             cl::sub(tokenizeCmd), cl::cat(ternCategory));
static cl::opt<bool> addBos("bos", cl::desc("Start with <|begin_of_text|>"),
                            cl::sub(tokenizeCmd), cl::cat(ternCategory));
static cl::opt<bool>
    parseSpecial("special",
                 cl::desc("Map special-token text such as <|eot_id|> to its id"),
                 cl::sub(tokenizeCmd), cl::cat(ternCategory));
static cl::list<std::string> tokenizeArgs(cl::Positional,
                                          cl::desc("[TEXT... | -]"),
                                          cl::sub(tokenizeCmd));
static cl::list<std::string> detokenizeArgs(cl::Positional,
                                            cl::desc("[IDS... | -]"),
                                            cl::sub(detokenizeCmd));

static int fail(const llvm::Twine &message) {
  llvm::errs() << "tern: error: " << message << "\n";
  return 1;
}

/// The positional arguments joined by spaces, or stdin when there are none
/// or the only one is "-".
static llvm::Expected<std::string> inputText(const std::vector<std::string> &args) {
  if (args.empty() || (args.size() == 1 && args[0] == "-")) {
    auto buffer = llvm::MemoryBuffer::getSTDIN();
    if (!buffer)
      return llvm::createStringError(buffer.getError(), "cannot read stdin");
    return (*buffer)->getBuffer().str();
  }
  return llvm::join(args, " ");
}

static std::optional<tern::Tokenizer> loadTokenizer() {
  if (tokenizerPath.empty()) {
    fail("no tokenizer given: pass --tokenizer FILE");
    return std::nullopt;
  }
  auto loaded = tern::Tokenizer::fromTiktokenFile(tokenizerPath);
  if (!loaded) {
    fail(loaded.error);
    return std::nullopt;
  }
  return *loaded.tokenizer;
}

static int runTokenize() {
  auto tokenizer = loadTokenizer();
  if (!tokenizer)
    return 1;
  auto text = inputText(tokenizeArgs);
  if (!text)
    return fail(llvm::toString(text.takeError()));
  std::vector<tern::TokenId> ids = tokenizer->encode(*text, addBos, parseSpecial);
  if (idsOnly) {
    llvm::outs() << llvm::join(llvm::map_range(ids, [](tern::TokenId id) {
                                 return std::to_string(id);
                               }),
                               " ")
                 << "\n";
    return 0;
  }
  for (tern::TokenId id : ids) {
    llvm::outs() << llvm::format("%6d", id) << "  '";
    llvm::outs().write_escaped(tokenizer->tokenBytes(id));
    llvm::outs() << "'\n";
  }
  return 0;
}

static int runDetokenize() {
  auto tokenizer = loadTokenizer();
  if (!tokenizer)
    return 1;
  auto text = inputText(detokenizeArgs);
  if (!text)
    return fail(llvm::toString(text.takeError()));
  llvm::SmallVector<llvm::StringRef> words;
  llvm::StringRef(*text).split(words, ' ', -1, /*KeepEmpty=*/false);
  std::vector<tern::TokenId> ids;
  for (llvm::StringRef word : words) {
    word = word.trim();
    if (word.empty())
      continue;
    int64_t id;
    if (word.getAsInteger(10, id) || id < 0 || id >= tokenizer->vocabSize())
      return fail("'" + word + "' is not a token id (0.." +
                  llvm::Twine(tokenizer->vocabSize() - 1) + ")");
    ids.push_back(static_cast<tern::TokenId>(id));
  }
  llvm::outs() << tokenizer->decode(ids);
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(ternCategory);
  if (!cl::ParseCommandLineOptions(argc, argv,
                                   "tern: a compiler toolchain for ternary LLMs\n",
                                   &llvm::errs()))
    return 1;
  if (tokenizeCmd)
    return runTokenize();
  if (detokenizeCmd)
    return runDetokenize();
  cl::PrintHelpMessage();
  return 1;
}
