//===- Seeds.cpp - tern_fuzz_seeds: write the fuzzers' seed inputs --------===//

#include "fuzz/SeedModels.h"

#include <cstdio>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: tern_fuzz_seeds DIR\n");
    return 2;
  }
  const std::string e = tern::fuzz::writeSeeds(argv[1]);
  if (!e.empty()) {
    std::fprintf(stderr, "tern_fuzz_seeds: %s\n", e.c_str());
    return 1;
  }
  return 0;
}
