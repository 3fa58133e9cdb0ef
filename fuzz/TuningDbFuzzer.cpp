//===- TuningDbFuzzer.cpp - tern compile --tuning-db's reader -------------===//

#include "fuzz/FuzzInput.h"

#include "compiler/Tuning/TuningDb.h"

#include "llvm/Support/Error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string path = tern::fuzz::writeInput("tuning.json", data, size);
  llvm::Expected<mlir::tern::TuningDb> db = mlir::tern::TuningDb::load(path);
  if (!db)
    llvm::consumeError(db.takeError());
  return 0;
}
