//===- JitForTests.h - Tern functions JIT-compiled for unit tests -*- C++ -*-===//
//
// Parses a module of tern functions (with llvm.emit_c_interface), lowers it
// through the reference pipeline (which lowers the network ops with their
// vector patterns too), JIT-compiles it for the host, and hands out its
// C-interface entry points; plus memref descriptors over std::vectors. The
// unit tests that check lowered IR against runtime/ C++ semantics bit for
// bit use it.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_PIPELINES_JITFORTESTS_H
#define TERN_COMPILER_PIPELINES_JITFORTESTS_H

#include "compiler/Pipelines/Pipelines.h"
#include "compiler/Pipelines/Registration.h"

#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/Support/TargetSelect.h"

#include <array>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace mlir::tern::testing {

template <typename T> using Mem2D = StridedMemRefType<T, 2>;

template <typename T> Mem2D<T> view(std::vector<T> &data, int64_t rows, int64_t cols) {
  Mem2D<T> m;
  m.basePtr = m.data = data.data();
  m.offset = 0;
  m.sizes[0] = rows;
  m.sizes[1] = cols;
  m.strides[0] = cols;
  m.strides[1] = 1;
  return m;
}

/// Copies a returned memref out and frees its buffer.
template <typename T> std::vector<T> take(Mem2D<T> &m) {
  std::vector<T> out;
  for (int64_t i = 0; i < m.sizes[0]; ++i)
    for (int64_t j = 0; j < m.sizes[1]; ++j)
      out.push_back(m.data[m.offset + i * m.strides[0] + j * m.strides[1]]);
  std::free(m.basePtr);
  return out;
}

/// A module compiled by the reference pipeline and JIT-loaded.
class Jit {
public:
  explicit Jit(const std::string &source) {
    DialectRegistry registry;
    mlir::tern::registerTernDialects(registry);
    registerBuiltinDialectTranslation(registry);
    registerLLVMDialectTranslation(registry);
    context = std::make_unique<MLIRContext>(registry);
    module = parseSourceString<ModuleOp>(source, context.get());
    if (!module) {
      error = "parse failed";
      return;
    }
    PassManager pm(context.get());
    mlir::tern::buildReferencePipeline(pm);
    if (failed(pm.run(*module))) {
      error = "reference pipeline failed";
      return;
    }
    auto created = ExecutionEngine::create(*module);
    if (!created) {
      error = llvm::toString(created.takeError());
      return;
    }
    engine = std::move(*created);
  }

  template <typename Fn> Fn get(StringRef name) {
    auto sym = engine->lookup(("_mlir_ciface_" + name).str());
    if (!sym) {
      error = llvm::toString(sym.takeError());
      return nullptr;
    }
    return reinterpret_cast<Fn>(*sym);
  }

  std::string error;

private:
  std::unique_ptr<MLIRContext> context;
  OwningOpRef<ModuleOp> module;
  std::unique_ptr<ExecutionEngine> engine;
};

template <typename T, int N>
StridedMemRefType<T, N> viewN(std::vector<T> &data,
                              const std::array<int64_t, N> &sizes) {
  StridedMemRefType<T, N> m;
  m.basePtr = m.data = data.data();
  m.offset = 0;
  int64_t stride = 1;
  for (int i = N - 1; i >= 0; --i) {
    m.sizes[i] = sizes[i];
    m.strides[i] = stride;
    stride *= sizes[i];
  }
  return m;
}

} // namespace mlir::tern::testing

#endif // TERN_COMPILER_PIPELINES_JITFORTESTS_H
