//===- WeightBlob.cpp - The weights blob of a planned module --------------===//

#include "compiler/Import/WeightBlob.h"

#include "dialects/Tern/IR/TernOps.h"
#include "runtime/compiled/tern_abi.h"
#include "runtime/model/Half.h"
#include "runtime/model/TernaryCodec.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"

#include <cstring>

using namespace mlir;
using namespace mlir::tern;
namespace rt = ::tern;

std::string mlir::tern::headCodesName(const rt::DenseTensor &t,
                                      rt::HeadFormat f) {
  return t.name + "." + rt::headFormatName(f);
}

std::string mlir::tern::headScalesName(const rt::DenseTensor &t,
                                       rt::HeadFormat f) {
  return headCodesName(t, f) + ".scales";
}

std::string mlir::tern::headBoundsName(const rt::DenseTensor &t,
                                       rt::HeadFormat screened) {
  return (screened == rt::HeadFormat::Screened
              ? t.name
              : headCodesName(t, rt::headCodesFormat(screened))) +
         ".screen_bounds";
}

namespace {

using Model = std::shared_ptr<const rt::ModelDescription>;
using Fill = std::function<bool(uint8_t *)>;

llvm::Error fail(WeightOp w, const llvm::Twine &why) {
  return llvm::createStringError("weight '" + w.getName().str() + "' (" +
                                 why.str() + ")");
}

const rt::TernaryTensor *findTernary(const rt::ModelDescription &m,
                                     StringRef name) {
  for (const rt::LayerWeights &l : m.layers)
    for (const rt::TernaryTensor *t : rt::bitLinearWeights(l))
      if (t->name == name)
        return t;
  return nullptr;
}

const rt::FloatTensor *findNorm(const rt::ModelDescription &m,
                                StringRef name) {
  if (m.outputNorm.name == name)
    return &m.outputNorm;
  for (const rt::LayerWeights &l : m.layers)
    for (const rt::FloatTensor *t :
         {&l.attnNorm, &l.attnSubNorm, &l.ffnNorm, &l.ffnSubNorm})
      if (t->name == name)
        return t;
  return nullptr;
}

/// The dense matrices: the embedding and the untied head.
SmallVector<const rt::DenseTensor *, 2> denseTensors(const rt::ModelDescription &m) {
  SmallVector<const rt::DenseTensor *, 2> out = {&m.tokenEmbedding};
  if (m.output)
    out.push_back(&*m.output);
  return out;
}

/// The rows of `name`'s ternary parts ("a+b+c"), stacked, packed in `type`'s
/// layout (one int8 per weight without one).
llvm::Expected<Fill> ternaryFill(WeightOp w, WeightsType type, Model model) {
  SmallVector<StringRef> names;
  w.getName().split(names, '+');
  std::vector<rt::TernaryTensor> parts;
  int64_t rows = 0;
  for (StringRef n : names) {
    const rt::TernaryTensor *t = findTernary(*model, n);
    if (!t)
      return fail(w, "no ternary tensor '" + n + "' in the model");
    if (t->cols != type.getCols())
      return fail(w, "'" + n + "' has " + llvm::Twine(t->cols) +
                         " columns, the weight " + llvm::Twine(type.getCols()));
    parts.push_back(*t);
    rows += t->rows;
  }
  if (rows != type.getRows())
    return fail(w, "its parts have " + llvm::Twine(rows) + " rows, the weight " +
                       llvm::Twine(type.getRows()));
  const int64_t k = type.getCols();
  const Layout layout =
      type.isPacked() ? type.getLayout().getLayout() : Layout{};
  return Fill([model, parts, rows, k, layout](uint8_t *dst) {
    // Row r of the stacked parts.
    auto unpackRow = [&](int64_t r, int8_t *out) {
      for (const rt::TernaryTensor &p : parts) {
        if (r < p.rows)
          return rt::unpackTernaryRow(p, r, out);
        r -= p.rows;
      }
      return false;
    };
    if (!layout) {
      for (int64_t r = 0; r < rows; ++r)
        if (!unpackRow(r, reinterpret_cast<int8_t *>(dst + r * k)))
          return false;
      return true;
    }
    // Rows the layout packs together (32 for lut2i), one group at a time.
    const int64_t group = layout.rowGroup(), rowBytes = layout.rowBytes(k);
    std::vector<int8_t> values(static_cast<size_t>(group * k));
    for (int64_t r = 0; r < rows; r += group) {
      for (int64_t i = 0; i < group; ++i)
        if (!unpackRow(r + i, values.data() + i * k))
          return false;
      if (!layout.pack(values.data(), group, k, dst + r * rowBytes))
        return false;
    }
    return true;
  });
}

/// A dense tensor of the model, as stored, or a quantized head's codes or
/// scales.
llvm::Expected<Fill> denseFill(WeightOp w, RankedTensorType type,
                               Model model) {
  const StringRef name = w.getName();
  const uint64_t bytes = static_cast<uint64_t>(w.getByteSize());
  if (const rt::FloatTensor *t = findNorm(*model, name)) {
    if (!type.getElementType().isF32() || type.getNumElements() != t->size)
      return fail(w, "the model's norm weight has " + llvm::Twine(t->size) +
                         " f32 values");
    const float *data = t->data;
    return Fill([model, data, bytes](uint8_t *dst) {
      std::memcpy(dst, data, bytes);
      return true;
    });
  }
  for (const rt::DenseTensor *t : denseTensors(*model)) {
    if (t->name == name) {
      Type e = type.getElementType();
      const bool sameType = t->type == rt::DenseType::F32   ? e.isF32()
                            : t->type == rt::DenseType::F16 ? e.isF16()
                                                            : e.isBF16();
      if (!sameType || type.getDimSize(0) != t->rows ||
          type.getDimSize(1) != t->cols)
        return fail(w, "does not match the model's " +
                           llvm::Twine(rt::denseTypeName(t->type)) + " [" +
                           llvm::Twine(t->rows) + ", " + llvm::Twine(t->cols) +
                           "] tensor");
      const void *data = t->data;
      return Fill([model, data, bytes](uint8_t *dst) {
        std::memcpy(dst, data, bytes);
        return true;
      });
    }
    for (rt::HeadFormat f : rt::kHeadFormats) {
      if (!rt::isScreenedHead(f) || name != headBoundsName(*t, f))
        continue;
      const rt::DenseTensor dense = *t;
      if (type.getRank() != 2 || type.getDimSize(0) != t->rows ||
          type.getDimSize(1) != rt::kScreenBoundValues)
        return fail(w, "does not match the screened head's shape");
      return Fill([model, dense, f](uint8_t *dst) {
        const int64_t cols = dense.cols;
        std::vector<float> row(static_cast<size_t>(cols));
        std::vector<uint8_t> codes(
            static_cast<size_t>(rt::headCodeBytesPerRow(f, cols)));
        std::vector<float> scales(
            static_cast<size_t>(rt::headScalesPerRow(f, cols)));
        for (int64_t v = 0; v < dense.rows; ++v) {
          if (!rt::denseRowToFloat(dense, v, row.data()))
            return false;
          rt::quantizeHeadRow(f, row.data(), cols, codes.data(),
                              scales.data());
          const rt::ScreenBound b = rt::screenRowBound(
              f, row.data(), codes.data(), scales.data(), cols);
          const float values[rt::kScreenBoundValues] = {b.perNorm, b.perMax};
          std::memcpy(dst + v * sizeof(values), values, sizeof(values));
        }
        return true;
      });
    }
    for (rt::HeadFormat f : {rt::HeadFormat::Int8, rt::HeadFormat::Q4}) {
      const bool codes = name == headCodesName(*t, f);
      if (!codes && name != headScalesName(*t, f))
        continue;
      const rt::DenseTensor dense = *t;
      const int64_t cb = rt::headCodeBytesPerRow(f, t->cols);
      const int64_t sc = rt::headScalesPerRow(f, t->cols);
      const int64_t elementBits = codes ? 8 : 8 * rt::headScaleBytes(f);
      if (type.getDimSize(0) != t->rows ||
          type.getDimSize(1) != (codes ? cb : sc) ||
          type.getElementTypeBitWidth() != elementBits)
        return fail(w, "does not match the quantized head's shape or its "
                       "element type");
      return Fill([model, dense, f, cb, sc, codes](uint8_t *dst) {
        std::vector<float> row(static_cast<size_t>(dense.cols));
        std::vector<uint8_t> rowCodes(static_cast<size_t>(cb));
        std::vector<float> rowScales(static_cast<size_t>(sc));
        for (int64_t v = 0; v < dense.rows; ++v) {
          if (!rt::denseRowToFloat(dense, v, row.data()))
            return false;
          rt::quantizeHeadRow(f, row.data(), dense.cols, rowCodes.data(),
                              rowScales.data());
          if (codes) {
            std::memcpy(dst + v * cb, rowCodes.data(), cb);
          } else if (rt::headScaleBytes(f) == 2) {
            // q4's f16 scales (each float an f16 value: exact).
            for (int64_t g = 0; g < sc; ++g) {
              const uint16_t bits = rt::floatToFp16(rowScales[g]);
              std::memcpy(dst + (v * sc + g) * 2, &bits, 2);
            }
          } else {
            std::memcpy(dst + v * sc * 4, rowScales.data(), sc * 4);
          }
        }
        return true;
      });
    }
  }
  return fail(w, "no such tensor in the model");
}

/// The functions the decode entry point runs (it and its callees).
llvm::SetVector<func::FuncOp> decodeFunctions(ModuleOp module) {
  llvm::SetVector<func::FuncOp> fns;
  if (auto entry = module.lookupSymbol<func::FuncOp>(TERN_ABI_DECODE_FN))
    fns.insert(entry);
  for (size_t i = 0; i < fns.size(); ++i)
    func::FuncOp(fns[i]).walk([&](func::CallOp call) {
      if (auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee()))
        fns.insert(callee);
    });
  return fns;
}

} // namespace

llvm::Expected<WeightBlob> mlir::tern::collectWeights(ModuleOp planned,
                                                      Model model) {
  WeightBlob blob;
  if (auto size = planned->getAttrOfType<IntegerAttr>("tern.blob_size"))
    blob.size = size.getInt();
  llvm::StringMap<bool> seen;
  llvm::Error error = llvm::Error::success();
  planned.walk([&](WeightOp w) {
    if (error || !w.getOffset() || seen.count(w.getName()))
      return;
    seen[w.getName()] = true;
    llvm::Expected<Fill> fill =
        isa<WeightsType>(w.getResult().getType())
            ? ternaryFill(w, cast<WeightsType>(w.getResult().getType()), model)
            : denseFill(w, cast<RankedTensorType>(w.getResult().getType()),
                        model);
    if (!fill) {
      error = fill.takeError();
      return;
    }
    blob.entries.push_back({w.getName().str(), *w.getOffset(),
                            static_cast<uint64_t>(w.getByteSize()),
                            std::move(*fill)});
  });
  if (error)
    return llvm::Expected<WeightBlob>(std::move(error));
  for (const BlobEntry &e : blob.entries)
    if (e.offset + e.size > blob.size)
      return llvm::createStringError("weight '" + e.name +
                                     "' lies outside the planned blob");

  // What a decoded token reads.
  llvm::StringMap<bool> readWhole; // name -> read beyond embedding lookups
  for (func::FuncOp fn : decodeFunctions(planned))
    fn.walk([&](WeightOp w) {
      // Embedding lookups read one row, a screened head's native rows only
      // the few it recomputes (its bounds in full).
      bool whole = llvm::any_of(w->getUses(), [](OpOperand &use) {
        Operation *u = use.getOwner();
        if (isa<EmbeddingOp>(u))
          return false;
        auto screen = dyn_cast<ScreenHeadOp>(u);
        return !screen || use.get() != screen.getWeights();
      });
      readWhole[w.getName()] |= whole;
    });
  for (const BlobEntry &e : blob.entries)
    if (readWhole.lookup(e.name))
      blob.bytesPerToken += e.size;
  return blob;
}
