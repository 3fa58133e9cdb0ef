//===- HfConfigFuzzer.cpp - Hugging Face config.json ----------------------===//

#include "fuzz/FuzzInput.h"

#include "runtime/model/Model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string path = tern::fuzz::writeInput("config.json", data, size);
  (void)tern::readHfConfigFile(path);
  return 0;
}
