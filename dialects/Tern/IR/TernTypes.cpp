//===- TernTypes.cpp - tern types -----------------------------------------===//

#include "dialects/Tern/IR/TernDialect.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::tern;

#define GET_TYPEDEF_CLASSES
#include "dialects/Tern/IR/TernTypes.cpp.inc"

void TernDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/Tern/IR/TernTypes.cpp.inc"
      >();
}

// !tern.weights<NxK> or !tern.weights<NxK, #tern.layout<...>>
Type WeightsType::parse(AsmParser &parser) {
  SmallVector<int64_t> shape;
  if (parser.parseLess() ||
      parser.parseDimensionList(shape, /*allowDynamic=*/false,
                                /*withTrailingX=*/false))
    return {};
  LayoutAttr layout;
  if (succeeded(parser.parseOptionalComma()) &&
      parser.parseAttribute(layout))
    return {};
  if (parser.parseGreater())
    return {};
  return parser.getChecked<WeightsType>(parser.getContext(), shape, layout);
}

void WeightsType::print(AsmPrinter &printer) const {
  printer << "<";
  llvm::interleave(getShape(), printer.getStream(), "x");
  if (getLayout()) {
    printer << ", ";
    printer.printAttribute(getLayout());
  }
  printer << ">";
}

LogicalResult WeightsType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  ArrayRef<int64_t> shape, LayoutAttr layout) {
  if (shape.size() != 2)
    return emitError() << "ternary weights must have shape [N, K], got rank "
                       << shape.size();
  if (shape[0] <= 0 || shape[1] <= 0)
    return emitError() << "ternary weights need positive dimensions, got "
                       << shape[0] << "x" << shape[1];
  if (layout) {
    std::string why =
        layout.getLayout().check(shape[0], shape[1]);
    if (!why.empty())
      return emitError() << "layout does not fit weights " << shape[0] << "x"
                         << shape[1] << ": " << why;
  }
  return success();
}
