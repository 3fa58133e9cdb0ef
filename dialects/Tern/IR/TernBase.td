//===- TernBase.td - The tern dialect ----------------------*- tablegen -*-===//

#ifndef TERN_DIALECT_TERNBASE
#define TERN_DIALECT_TERNBASE

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Tern_Dialect : Dialect {
  let name = "tern";
  let cppNamespace = "::mlir::tern";
  let summary = "Ternary (1.58-bit) weight arithmetic for BitNet b1.58 models";
  let description = [{
    The `tern` dialect expresses the arithmetic of BitNet b1.58 linear layers:
    weights restricted to {-1, 0, +1} with one fp32 scale per tensor
    (absmean quantization) multiplied by int8 activations quantized per row
    (absmax). The integer part of that product is exact; only two scales are
    floating point.

    Ternary weight matrices have their own type, `!tern.weights<NxK>`, which
    can carry a packed layout (`#tern.layout<i2, block = 128>`) that says how
    the values sit in memory. `tern.pack` and `tern.unpack` move between
    layouts, so passes choose and change layouts in the IR.

    The reference lowering (`convert-tern-to-linalg`) gives every op its
    meaning in upstream dialects; it is the semantic oracle the fast
    target-specific lowerings are tested against.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let extraClassDeclaration = [{
    void registerTypes();

    /// What `#tern.kernel` family names must satisfy: set when the kernel
    /// registry is registered with the context (registerKernelRegistry);
    /// returns why `family` cannot compute a matmul on weights in `layout`
    /// (unknown family, a layout it does not read, a prefetch distance its
    /// kernels do not take), or "" when it can. Without it, any non-empty
    /// name passes.
    std::function<std::string(::llvm::StringRef family,
                              const ::mlir::tern::Layout &layout,
                              int64_t prefetch)>
        kernelFamilyCheck;
    /// What a `tern.lm_head` `dot` family must satisfy (set with
    /// kernelFamilyCheck): why `family` has no multiply-add of byte quads
    /// for the integer heads (q4, int8), or "". Without it, any non-empty name
    /// passes.
    std::function<std::string(::llvm::StringRef family)> quadDotCheck;
  }];
}

class Tern_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tern_Dialect, mnemonic, traits>;

#endif // TERN_DIALECT_TERNBASE
