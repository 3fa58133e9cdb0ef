//===- SafetensorsFuzzer.cpp - The safetensors header reader --------------===//

#include "runtime/model/Safetensors.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace tern;
  SafetensorsFileOrError f = SafetensorsFile::parse(MappedFile::fromBuffer(
      std::vector<uint8_t>(data, data + size), "fuzz.safetensors"));
  if (f)
    for (const SafetensorsTensorInfo &t : f->tensors())
      (void)f->findTensor(t.name);
  return 0;
}
