//===- TernToKernels.h - Generated ternary matmul kernels -------*- C++ -*-===//
//
// convert-tern-to-kernels rewrites tern.matmul on blob weights into calls
// to kernels declared per shape and kernel family; tern-generate-kernels
// gives them bodies after bufferization. One file per family body:
// X86Kernels.cpp (AVX2), ArmKernels.cpp (NEON dotprod).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_CONVERSION_TERNTOKERNELS_TERNTOKERNELS_H
#define TERN_COMPILER_CONVERSION_TERNTOKERNELS_TERNTOKERNELS_H

#include "dialects/Tern/IR/TernOps.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

#include <functional>

namespace mlir::tern {

#define GEN_PASS_DECL_CONVERTTERNTOKERNELS
#define GEN_PASS_DECL_GENERATETERNKERNELS
#include "compiler/Conversion/Passes.h.inc"

namespace kernels {
constexpr int64_t kI2Block = 128;     ///< weights per i2 block
constexpr int64_t kI2BlockBytes = 32; ///< bytes per i2 block
/// Marks a kernel declaration; the value is "i2_<family>".
constexpr const char *kKernelAttr = "tern.kernel";

/// The kernel families ("avx2", "vnni", "neon-dotprod").
bool isKernelFamily(llvm::StringRef family);

/// What a kernel family's body sees while it is generated.
struct I2KernelBuilder {
  OpBuilder &b;
  Location loc;
  Value a, w;     ///< memref<MxKxi8> activations, memref<Nx(K/4)xi8> weights
  int64_t m, k;   ///< rows, reduction length
  Value idx(int64_t v);
  /// A constant vector of `t` with every element `v`.
  Value splat(VectorType t, int64_t v);
  /// A call of the LLVM intrinsic `name` returning `result`.
  Value intrinsic(Type result, llvm::StringRef name, ValueRange args);
};

/// Generates the common body of a declaration `(memref<MxKxi8>,
/// memref<Nx(K/4)xi8>, memref<MxNxi32>, index begin, index end)`:
///   for row in [0, M): s = perRow(row)
///     for col in [begin, end): out[row, col] = perOutput(row, col, s)
/// (`perRow` may return a null Value when the family needs nothing).
void defineI2Kernel(
    func::FuncOp fn,
    const std::function<Value(I2KernelBuilder &, Value row)> &perRow,
    const std::function<Value(I2KernelBuilder &, Value row, Value col,
                              Value rowState)> &perOutput);

/// The family bodies (X86Kernels.cpp, ArmKernels.cpp).
void defineAvx2Kernel(func::FuncOp fn);
void defineVnniKernel(func::FuncOp fn);
void defineNeonDotprodKernel(func::FuncOp fn);
} // namespace kernels

} // namespace mlir::tern

#endif // TERN_COMPILER_CONVERSION_TERNTOKERNELS_TERNTOKERNELS_H
