//===- CompileChecks.cpp - What tern compile refuses before it starts -----===//

#include "compiler/Driver/CompileChecks.h"

#include "runtime/generate/LanguageModel.h"
#include "runtime/model/Model.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <vector>

using namespace mlir::tern;
namespace rt = ::tern;

namespace {
llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(message.str());
}

/// The files tern compile reads: the model (or its directory's files) and
/// the tuning database.
std::vector<std::string> inputFiles(const CompileOptions &o) {
  std::vector<std::string> files;
  if (llvm::sys::fs::is_directory(o.model)) {
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(o.model, ec), end;
         !ec && it != end; it.increment(ec))
      files.push_back(it->path());
  } else {
    files.push_back(o.model);
  }
  if (!o.tuningDb.empty())
    files.push_back(o.tuningDb);
  return files;
}
} // namespace

llvm::Error mlir::tern::checkOutputIsNotAnInput(const CompileOptions &o) {
  const std::vector<std::string> inputs = inputFiles(o);
  for (const std::string &out :
       {o.output, o.output + ".weights", o.output + ".o",
        o.output + ".payload.tmp"})
    for (const std::string &in : inputs) {
      bool same = false;
      if (!llvm::sys::fs::equivalent(out, in, same) && same)
        return fail(out + " is the input " + in +
                    ": tern compile would overwrite it (choose another -o)");
    }
  return llvm::Error::success();
}

llvm::Error mlir::tern::checkAgainstModel(const CompileOptions &o,
                                          const rt::ModelDescription &model) {
  const rt::ModelConfig &c = model.config;
  const std::string where = o.model + ": ";
  if (o.contextSize > c.maxPositions)
    return fail("--ctx " + std::to_string(o.contextSize) + " exceeds the " +
                std::to_string(c.maxPositions) +
                "-token context the model was trained for");
  const int64_t ctx = o.contextSize ? o.contextSize : c.maxPositions;
  if (o.prefillRows < -1)
    return fail("--prefill " + std::to_string(o.prefillRows) +
                " is negative (0: decode only)");
  if (o.prefillRows > ctx)
    return fail("--prefill " + std::to_string(o.prefillRows) +
                " exceeds the context of " + std::to_string(ctx) + " tokens");
  if (std::string kv = rt::checkKvCache(c, ctx); !kv.empty())
    llvm::errs() << "tern compile: warning: " << kv
                 << ": the executable will refuse to start on this machine "
                    "(a smaller --ctx fits)\n";
  // The executable builds its tokenizer from the payload at start-up: one
  // it would refuse is refused here.
  if (!model.vocab.tokens.empty()) {
    rt::TokenizerOrError t = rt::buildTokenizer(model);
    if (!t)
      return fail(t.error + " (the executable would refuse to start)");
  }
  return llvm::Error::success();
}
