# Cross-compiling Tern's runtime for RISC-V 64 Linux with Debian's clang-22 and
# cross libraries (libc6-dev-riscv64-cross, libstdc++-12-dev-riscv64-cross,
# libgcc-12-dev-riscv64-cross for static links), so
# that `tern compile --target riscv64+v` can link executables that run under
# qemu-riscv64. Used by tools/setup.sh for build-riscv64/ (runtime only,
# no tests, no PCRE2: such executables take --tokens, see Tokenizer.h).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(CMAKE_C_COMPILER /usr/lib/llvm-22/bin/clang)
set(CMAKE_CXX_COMPILER /usr/lib/llvm-22/bin/clang++)
set(CMAKE_C_COMPILER_TARGET riscv64-linux-gnu)
set(CMAKE_CXX_COMPILER_TARGET riscv64-linux-gnu)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=lld")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-fuse-ld=lld")
set(CMAKE_FIND_ROOT_PATH /usr/riscv64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
