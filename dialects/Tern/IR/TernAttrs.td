//===- TernAttrs.td - tern attributes ----------------------*- tablegen -*-===//

#ifndef TERN_DIALECT_TERNATTRS
#define TERN_DIALECT_TERNATTRS

include "dialects/Tern/IR/TernBase.td"

// A packing from the registry (compiler/Packings/Packings.def), written as
// its name.
def Tern_PackingParameter
    : AttrParameter<"::mlir::tern::PackingPtr",
                    "a registered ternary packing"> {
  let parser = "::mlir::tern::parsePacking($_parser)";
  let printer = "$_printer << $_self->name";
}

def Tern_LayoutAttr : AttrDef<Tern_Dialect, "Layout"> {
  let mnemonic = "layout";
  let summary = "Packed memory layout of a ternary weight matrix";
  let description = [{
    Each row of K weights is cut into blocks of `block` weights, and each
    block is packed on its own by the packing (some packings also
    interleave groups of rows). The packings are registered in
    `compiler/Packings` (one file each, listed in `Packings.def`); their
    definitions are in those files and in docs/adding-a-lowering.md:

    * `i2`: 2 bits per weight, code `w + 1`; byte `p` of a block holds
      elements `p, p + B/4, p + B/2, p + 3B/4` at bit shifts 6, 4, 2, 0
      (bitnet.cpp's I2_S order when `block = 128`). Needs `block % 4 == 0`.
    * `i2x16`: the codes of `i2`, rows interleaved in groups of 16 (N % 16
      == 0): byte `4l + i` of a group's chunk `c` (64 bytes) holds row `l`'s
      weights `16c + 4j + i` at bit shifts `6 - 2j`, so that the 32-bit
      lanes of a vector are output columns. Needs `block % 16 == 0`.
    * `base3v`: base 3 in vector order (1.6 bits per weight): byte `p` of
      a block holds elements `p + j*B/5` (j = 0..4) as the digits of
      `d = sum_j (w + 1) * 3^(4-j)`, stored as `ceil(d * 256 / 243)`.
      Needs `block % 5 == 0`.
    * `lut2i`: pairs of weights as 4-bit indices `3(w0+1) + (w1+1)`,
      interleaved across groups of 32 rows for lookup-table kernels
      (N % 32 == 0). Needs `block % 4 == 0`.
    * `lut2`, `base3`: pair indices per row, and 5 consecutive weights per
      byte; reference lowering only.

    The verifier checks the block against the packing's rule.

    Example:

    ```mlir
    !tern.weights<2560x6912, #tern.layout<i2, block = 128>>
    ```
  }];
  let parameters = (ins Tern_PackingParameter:$packing, "int64_t":$block);
  let assemblyFormat = "`<` $packing `,` `block` `=` $block `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The registry's description of this layout (packers, sizes).
    ::mlir::tern::Layout getLayout() const { return {getPacking(), getBlock()}; }
    /// Bytes one packed row of `k` weights takes.
    int64_t getRowBytes(int64_t k) const { return getLayout().rowBytes(k); }
  }];
}

def Tern_KernelAttr : AttrDef<Tern_Dialect, "Kernel"> {
  let mnemonic = "kernel";
  let summary = "The generated kernel a ternary matmul uses";
  let description = [{
    The decision `tern-select-kernels` makes for one `tern.matmul` (or
    `tern.bitlinear`): the kernel family that computes it (a row of the
    kernel registry, `compiler/Kernels/Families.def`), the packing and block
    of the weights it reads, and its tile: `tile_m` activation rows share
    each decoded weight, `tile_n` output columns (for lookup-table families,
    groups of 32 columns) share each loaded activation. `prefetch = P`
    (omitted when 0): each load of a column's weights also prefetches the
    same bytes of the column ceil(P / row bytes) columns further on (the
    last column at most), for families whose kernels stream their weights
    (`tern kernels` lists them); tern-select-kernels gives decode kernels
    the target's distance. `locality = L` (omitted when 1) is LLVM's
    prefetch locality hint: 3 fetches into every cache level (x86
    `prefetcht0`), 1 towards the outer ones (`prefetcht2`), 0 without
    keeping the line (`prefetchnta`); the target's choice
    (Target::streamPrefetchLocality).
    `convert-tern-to-kernels` turns a matmul carrying it into a call of that
    kernel; a matmul without one takes the reference lowering.

    The verifier checks the tile (1 to 8 each side), the prefetch distance
    (0 to 1 MiB) and locality (0 to 3, other than 1 only with a distance),
    the block against the packing, and, where the kernel registry is linked (every Tern tool), that
    the family exists and reads that packing and block. The op carrying it
    checks that its weights are stored in that layout.

    Example:

    ```mlir
    %acc = tern.matmul %q, %w {kernel = #tern.kernel<"vnni512", i2, block = 256, tile = [8, 2]>}
             : tensor<32x2560xi8>, !tern.weights<3840x2560, #tern.layout<i2, block = 256>>
             -> tensor<32x3840xi32>
    %one = tern.matmul %q1, %w {kernel = #tern.kernel<"vnni512", i2, block = 256, tile = [1, 1], prefetch = 4096>}
             : tensor<1x2560xi8>, !tern.weights<3840x2560, #tern.layout<i2, block = 256>>
             -> tensor<1x3840xi32>
    ```
  }];
  let parameters = (ins "::mlir::StringAttr":$family,
                        Tern_PackingParameter:$packing, "int64_t":$block,
                        "int64_t":$tile_m, "int64_t":$tile_n,
                        DefaultValuedParameter<"int64_t", "0">:$prefetch,
                        DefaultValuedParameter<"int64_t", "1">:$locality);
  let assemblyFormat = [{
    `<` $family `,` $packing `,` `block` `=` $block `,` `tile` `=` `[` $tile_m `,` $tile_n `]`
    (`,` `prefetch` `=` $prefetch^)? (`,` `locality` `=` $locality^)? `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The weights' layout the kernel reads.
    ::mlir::tern::Layout getLayout() const { return {getPacking(), getBlock()}; }
    /// The largest tile side (tile_m * tile_n accumulators live in
    /// registers; beyond this they only spill).
    static constexpr int64_t kMaxTile = 8;
    /// The largest prefetch distance in bytes.
    static constexpr int64_t kMaxPrefetch = 1 << 20;
    /// The locality a kernel prefetches with unless told otherwise.
    static constexpr int64_t kDefaultLocality = 1;
  }];
}

def Tern_HeadFormat : I32EnumAttr<"HeadFormat", "how the output head is stored", [
    I32EnumAttrCase<"native", 0>,
    I32EnumAttrCase<"int8", 1>,
    I32EnumAttrCase<"q4", 2>
  ]> {
  let cppNamespace = "::mlir::tern";
}

#endif // TERN_DIALECT_TERNATTRS
