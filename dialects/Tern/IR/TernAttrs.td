//===- TernAttrs.td - tern attributes ----------------------*- tablegen -*-===//

#ifndef TERN_DIALECT_TERNATTRS
#define TERN_DIALECT_TERNATTRS

include "dialects/Tern/IR/TernBase.td"

def Tern_PackingKind : I32EnumAttr<"PackingKind", "how ternary values are packed", [
    I32EnumAttrCase<"i2", 0>,
    I32EnumAttrCase<"lut2", 1>,
    I32EnumAttrCase<"base3", 2>,
    I32EnumAttrCase<"base3v", 3>,
    I32EnumAttrCase<"lut2i", 4>
  ]> {
  let cppNamespace = "::mlir::tern";
  let genSpecializedAttr = 0;
}

def Tern_LayoutAttr : AttrDef<Tern_Dialect, "Layout"> {
  let mnemonic = "layout";
  let summary = "Packed memory layout of a ternary weight matrix";
  let description = [{
    Each row of K weights is cut into blocks of `block` weights, and each
    block is packed on its own:

    * `i2`: 2 bits per weight, code `w + 1`; byte `p` of a block holds
      elements `p, p + B/4, p + B/2, p + 3B/4` at bit shifts 6, 4, 2, 0
      (bitnet.cpp's I2_S order when `block = 128`). Needs `block % 4 == 0`.
    * `lut2`: pairs of weights as a 4-bit index `3(w0+1) + (w1+1)` for
      lookup-table kernels; byte `p` holds pair `p` in its low nibble and
      pair `p + B/4` in its high nibble. Needs `block % 4 == 0`.
    * `base3`: five weights per byte as the base-3 number
      `sum_i (w_i + 1) * 3^i` (1.6 bits per weight); `ceil(B/5)` bytes per
      block, a short last group padded with zeros.
    * `base3v`: base 3 in vector order for SIMD kernels (1.6 bits per
      weight): byte `p` of a block holds elements `p + j*B/5` (j = 0..4)
      as the digits of `d = sum_j (w + 1) * 3^(4-j)`, stored as
      `ceil(d * 256 / 243)`, so that digit j is `floor(3x/256)` of
      `x = 3^j * q mod 256` (byte adds and compares). Needs `block % 5 == 0`.
    * `lut2i`: lut2's pair indices interleaved across rows for lookup-table
      kernels (2 bits per weight): rows in groups of 32 (N % 32 == 0), each
      group's bytes contiguous; pair `p` of a group takes 16 bytes, byte `i`
      holding row `i`'s index in its low nibble and row `i + 16`'s in its
      high nibble, so that one byte shuffle looks up 16 rows at once. The
      block (`block % 4 == 0`) does not change the order.

    Example:

    ```mlir
    !tern.weights<2560x6912, #tern.layout<i2, block = 128>>
    ```
  }];
  let parameters = (ins EnumParameter<Tern_PackingKind>:$kind,
                        "int64_t":$block);
  let assemblyFormat = "`<` $kind `,` `block` `=` $block `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The runtime's description of this layout (shared with the packer).
    ::tern::PackedLayout getPackedLayout() const;
    /// Bytes one packed row of `k` weights takes.
    int64_t getRowBytes(int64_t k) const;
  }];
}

#endif // TERN_DIALECT_TERNATTRS
