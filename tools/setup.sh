#!/usr/bin/env bash
# Installs what Tern needs on Debian 12 (idempotent: quiet when everything is
# there already), then configures and builds Tern in ./build.
#
#   bash tools/setup.sh            # install + configure + build
#   TERN_BUILD_DIR=out bash tools/setup.sh
#   TERN_CMAKE_ARGS="-DTERN_ENABLE_SANITIZERS=ON" bash tools/setup.sh
#   TERN_TRAIN=1 bash tools/setup.sh   # also what models/train needs
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD_DIR=${TERN_BUILD_DIR:-build}

PACKAGES=(
  cmake ninja-build g++ ccache pkg-config python3 git
  libgtest-dev libgmock-dev libbenchmark-dev libpcre2-dev nlohmann-json3-dev
  libcpp-httplib-dev chromium
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 lld-22
  libclang-rt-22-dev
  qemu-user libc6-dev-arm64-cross libstdc++-12-dev-arm64-cross
  libc6-dev-riscv64-cross libstdc++-12-dev-riscv64-cross
  libgcc-12-dev-riscv64-cross
)
# The training recipe (models/train): PyTorch, an optimized BLAS for it (the
# reference BLAS is about 6x slower there), and the King James Bible.
if [ "${TERN_TRAIN:-0}" = 1 ]; then
  PACKAGES+=(python3-torch libopenblas0-pthread bible-kjv)
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "tern setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# Node (Debian's when the machine has none) and the server tests' npm
# packages, pinned by lit-tests/serve/package-lock.json.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "tern setup: installing nodejs npm"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    --no-install-recommends nodejs npm >/dev/null
fi
SERVE_TESTS=lit-tests/serve
if [ ! -d "$SERVE_TESTS/node_modules/openai" ] ||
   [ "$SERVE_TESTS/package-lock.json" -nt "$SERVE_TESTS/node_modules/.package-lock.json" ]; then
  npm ci --prefix "$SERVE_TESTS" --no-audit --no-fund --silent
fi

# shellcheck disable=SC2086
cmake -S . -B "$BUILD_DIR" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release \
  -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
  ${TERN_CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR"

# The runtime cross-built for each cross target's architecture (AArch64,
# RISC-V 64), which `tern compile --target aarch64|riscv64+v` links
# executables with (they run under qemu). Skipped with TERN_SKIP_CROSS=1 or
# when the compiler is not built.
if [ "${TERN_SKIP_CROSS:-0}" != 1 ] && [[ "${TERN_CMAKE_ARGS:-}" != *TERN_ENABLE_COMPILER=OFF* ]]; then
  for arch in aarch64 riscv64; do
    cmake -S . -B "$BUILD_DIR-$arch" -G Ninja \
      -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/$arch-linux-gnu.cmake" \
      -DCMAKE_BUILD_TYPE=Release -DTERN_ENABLE_COMPILER=OFF \
      -DTERN_ENABLE_TESTS=OFF -DTERN_WITH_PCRE2=OFF -DTERN_WITH_SERVER=OFF \
      >/dev/null
    cmake --build "$BUILD_DIR-$arch"
  done
fi
