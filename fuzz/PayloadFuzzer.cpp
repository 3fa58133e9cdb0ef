//===- PayloadFuzzer.cpp - An executable's payload reader -----------------===//
//
// The input is an executable's file (its payload appended behind a trailer,
// or not): found, parsed and checked against the shape of the payload that
// tern_fuzz_seeds writes (SeedModels.h), so that inputs near it reach the
// checksums.

#include "fuzz/FuzzInput.h"
#include "fuzz/SeedModels.h"

#include "runtime/compiled/CompiledModel.h"
#include "runtime/compiled/tern_abi.h"

#include <cstdio>
#include <cstdlib>

// The generated code's symbols, which the runtime library refers to; this
// target never runs a forward pass.
extern "C" {
const int64_t tern_compiled_shape[TERN_SHAPE_FIELDS] = {};
void _mlir_ciface_tern_decode(tern_memref_i8_1d *, tern_memref_f32_3d *,
                              tern_memref_f32_3d *, int64_t, int64_t,
                              tern_memref_f32_1d *) {}
}

static const std::vector<int64_t> &shape() {
  static const std::vector<int64_t> s = tern::fuzz::seedPayloadShape();
  return s;
}

// The seed must load: otherwise every input stops at the first check and
// the checksum and tokenizer code is never reached.
extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  const std::vector<uint8_t> exe = tern::fuzz::seedExecutable();
  const std::string path =
      tern::fuzz::writeInput("seed-model", exe.data(), exe.size());
  auto backend = tern::loadCompiledBackend(path, true, shape().data());
  if (!backend) {
    std::fprintf(stderr, "tern_fuzz_payload: the seed does not load: %s\n",
                 backend.error.c_str());
    std::abort();
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string path = tern::fuzz::writeInput("model", data, size);
  for (bool verify : {false, true}) {
    auto backend = tern::loadCompiledBackend(path, verify, shape().data());
    if (backend) {
      (void)(*backend)->config();
      (void)(*backend)->tokenizer();
    }
  }
  return 0;
}
