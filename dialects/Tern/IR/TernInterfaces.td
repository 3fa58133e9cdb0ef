//===- TernInterfaces.td - tern op interfaces -------------*- tablegen -*-===//

#ifndef TERN_DIALECT_TERNINTERFACES
#define TERN_DIALECT_TERNINTERFACES

include "mlir/IR/OpBase.td"

def Tern_RowWiseOpInterface : OpInterface<"RowWiseOpInterface"> {
  let cppNamespace = "::mlir::tern";
  let description = [{
    An op whose results have rows (their first dimension) and whose row m
    is computed from row m of some of its operands (the row operands, with
    the results' rows) and from its other operands whole. Such an op may run
    one row at a time: `tern-outline-row-regions` moves runs of them into a
    function of one row that the thread pool calls for every row.
  }];
  let methods = [
    InterfaceMethod<
      "The indices of the operands read row by row; the others are read whole.",
      "::llvm::SmallVector<unsigned>", "getRowOperandIndices">,
  ];
}

#endif // TERN_DIALECT_TERNINTERFACES
