# -*- Python -*-
import os
import shutil
import sys

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "TERN"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tern_obj_root, "lit-tests")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs",
                   "node_modules"]

llvm_config.use_default_substitutions()
config.substitutions.append(("%tern_src_root", config.tern_src_root))
config.substitutions.append(("%tern_obj_root", config.tern_obj_root))
config.substitutions.append(("%python", sys.executable))
config.substitutions.append(
    ("%llama3_tokenizer",
     os.path.join(config.tern_shared_dir, "testdata/llama3-tokenizer/tokenizer.model")))
config.substitutions.append(
    ("%mlir_runner_libs",
     ",".join(os.path.join(config.llvm_lib_dir, lib) for lib in
              ["libmlir_runner_utils.so", "libmlir_c_runner_utils.so"])))

# Tern's tools first, then LLVM's (FileCheck, not, mlir-runner).
llvm_config.with_environment("PATH", config.tern_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
# A build without the compiler (CI's sanitizer build) runs the tests that
# need only tern's runtime subcommands; the others say REQUIRES: compiler
# (or are in a directory whose lit.local.cfg does).
tools = [ToolSubst("tern", unresolved="fatal")]
if config.tern_compiler:
    config.available_features.add("compiler")
    tools += [ToolSubst("tern-opt", unresolved="fatal"),
              ToolSubst("mlir-runner", unresolved="fatal")]
llvm_config.add_tool_substitutions(tools, [config.tern_tools_dir,
                                           config.llvm_tools_dir])

# A sanitizer build runs code 10-50x slower: whole-text scoring of the
# shipped model is left to the normal build (UNSUPPORTED: sanitizers).
if config.tern_sanitizers:
    config.available_features.add("sanitizers")

# Executables for cross targets: the cross-built runtime (tools/setup.sh
# builds <build>-<arch>/) and qemu.
for arch in ["aarch64", "riscv64"]:
    lib = os.path.join(config.tern_obj_root + "-" + arch, "lib",
                       "libtern_compiled.a")
    if os.path.exists(lib) and shutil.which("qemu-" + arch):
        config.available_features.add(arch + "-runtime")

# x86 hosts that run AVX-512BW code (the lut512 kernels' executables),
# AVX2 code (x86-64-v3 executables, tern tune --target x86-64-v3) or AMX-INT8
# tiles (the amx kernels; Sapphire Rapids and later).
try:
    with open("/proc/cpuinfo") as f:
        flags = f.read()
        if " avx512bw" in flags:
            config.available_features.add("host-avx512bw")
        if " avx2" in flags:
            config.available_features.add("host-avx2")
        if " amx_int8" in flags and " amx_tile" in flags:
            config.available_features.add("host-amx")
except OSError:
    pass

# The server's clients (lit-tests/serve): the openai and puppeteer-core npm
# packages that tools/setup.sh installs from the lockfile, Node, and
# Debian's Chromium. CI must have them (a missing one is an error there).
serve_dir = os.path.join(config.tern_src_root, "lit-tests", "serve")
modules = os.path.join(serve_dir, "node_modules")
missing = []
if shutil.which("node") and os.path.isdir(os.path.join(modules, "openai")):
    config.available_features.add("openai-client")
else:
    missing.append("node and lit-tests/serve/node_modules/openai")
if shutil.which("chromium") and os.path.isdir(os.path.join(modules, "puppeteer-core")):
    config.available_features.add("chromium")
else:
    missing.append("chromium and lit-tests/serve/node_modules/puppeteer-core")
if missing and os.environ.get("CI"):
    lit_config.fatal("missing for the server tests: " + "; ".join(missing) +
                     " (tools/setup.sh installs them)")
config.substitutions.append(("%serve_dir", serve_dir))
