//===- CompiledMain.cpp - main() of executables built by tern compile -----===//

#include "runtime/compiled/CompiledModel.h"

int main(int argc, char **argv) { return tern::compiledMain(argc, argv); }
