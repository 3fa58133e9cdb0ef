//===- TernTypes.td - tern types ---------------------------*- tablegen -*-===//

#ifndef TERN_DIALECT_TERNTYPES
#define TERN_DIALECT_TERNTYPES

include "dialects/Tern/IR/TernAttrs.td"

def Tern_WeightsType : TypeDef<Tern_Dialect, "Weights"> {
  let mnemonic = "weights";
  let summary = "A ternary weight matrix [N, K], optionally packed";
  let description = [{
    A matrix of N output rows by K input columns whose every element is -1, 0
    or +1. Without a layout the value is abstract (the reference lowering
    holds it as one i8 per weight); with a `#tern.layout` it is stored packed
    and `tern.pack` / `tern.unpack` convert between the two. The per-tensor
    scale is not part of the type: it travels as a separate f32 value.

    Examples:

    ```mlir
    !tern.weights<640x2560>
    !tern.weights<640x2560, #tern.layout<i2, block = 128>>
    ```
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$shape,
                        OptionalParameter<"::mlir::tern::LayoutAttr">:$layout);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    TypeBuilder<(ins "int64_t":$rows, "int64_t":$cols,
                     CArg<"::mlir::tern::LayoutAttr", "{}">:$layout), [{
      int64_t shape[] = {rows, cols};
      return $_get($_ctxt, ::llvm::ArrayRef<int64_t>(shape), layout);
    }]>
  ];
  let extraClassDeclaration = [{
    int64_t getRows() const { return getShape()[0]; }
    int64_t getCols() const { return getShape()[1]; }
    bool isPacked() const { return static_cast<bool>(getLayout()); }
    /// The same matrix with another layout (null: unpacked).
    WeightsType withLayout(::mlir::tern::LayoutAttr layout) const {
      return get(getContext(), getShape(), layout);
    }
  }];
}

#endif // TERN_DIALECT_TERNTYPES
