//===- Packing.cpp - The packing registry and layouts ---------------------===//

#include "compiler/Packings/Packing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::tern;

//===----------------------------------------------------------------------===//
// Registry
//===----------------------------------------------------------------------===//

ArrayRef<const Packing *> mlir::tern::packings() {
  static const SmallVector<const Packing *> all = {
#define TERN_PACKING(ID) &ID##Packing(),
#include "compiler/Packings/Packings.def"
  };
  return all;
}

const Packing *mlir::tern::findPacking(StringRef name) {
  for (const Packing *p : packings())
    if (p->name == name)
      return p;
  return nullptr;
}

std::string mlir::tern::packingNames() {
  std::string out;
  for (const Packing *p : packings())
    out += (out.empty() ? "" : ", ") + p->name.str();
  return out;
}

//===----------------------------------------------------------------------===//
// Layout
//===----------------------------------------------------------------------===//

std::string Layout::str() const {
  return packing ? packing->name.str() + " b" + std::to_string(block)
                 : std::string("unpacked");
}

std::string Layout::check(int64_t k) const {
  if (!packing)
    return "no packing";
  const std::string name = packing->name.str();
  if (block <= 0)
    return name + " layout needs a positive block size, got " +
           std::to_string(block);
  if (block % packing->blockMultiple != 0)
    return name + " layout needs a block size divisible by " +
           std::to_string(packing->blockMultiple) + ", got " +
           std::to_string(block);
  if (k <= 0 || k % block != 0)
    return "row length " + std::to_string(k) +
           " is not a positive multiple of the " + name + " block size " +
           std::to_string(block);
  return {};
}

std::string Layout::check(int64_t n, int64_t k) const {
  std::string why = check(k);
  if (!why.empty())
    return why;
  if (n <= 0 || n % rowGroup() != 0)
    return packing->name.str() + " layout packs rows in groups of " +
           std::to_string(rowGroup()) + ", got " + std::to_string(n) +
           " rows";
  return {};
}

bool Layout::pack(const int8_t *t, int64_t n, int64_t k, uint8_t *out) const {
  if (!check(n, k).empty())
    return false;
  for (int64_t i = 0; i < n * k; ++i)
    if (t[i] < -1 || t[i] > 1)
      return false;
  const int64_t group = rowGroup(), bytes = rowBytes(k);
  for (int64_t r = 0; r < n; r += group)
    packing->pack(block, t + r * k, k, out + r * bytes);
  return true;
}

bool Layout::unpack(const uint8_t *in, int64_t n, int64_t k,
                    int8_t *t) const {
  if (!check(n, k).empty())
    return false;
  const int64_t group = rowGroup(), bytes = rowBytes(k);
  for (int64_t r = 0; r < n; r += group)
    if (!packing->unpack(block, in + r * bytes, k, t + r * k))
      return false;
  return true;
}

//===----------------------------------------------------------------------===//
// IndexArith
//===----------------------------------------------------------------------===//

Value IndexArith::idx(int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}
Value IndexArith::i32(int64_t v) {
  return arith::ConstantIntOp::create(b, loc, b.getI32Type(), v);
}
Value IndexArith::add(Value x, Value y) {
  return arith::AddIOp::create(b, loc, x, y);
}
Value IndexArith::sub(Value x, Value y) {
  return arith::SubIOp::create(b, loc, x, y);
}
Value IndexArith::mul(Value x, Value y) {
  return arith::MulIOp::create(b, loc, x, y);
}
Value IndexArith::div(Value x, Value y) {
  return arith::DivUIOp::create(b, loc, x, y);
}
Value IndexArith::rem(Value x, Value y) {
  return arith::RemUIOp::create(b, loc, x, y);
}
Value IndexArith::shl(Value x, Value y) {
  return arith::ShLIOp::create(b, loc, x, y);
}
Value IndexArith::shr(Value x, Value y) {
  return arith::ShRUIOp::create(b, loc, x, y);
}
Value IndexArith::bitOr(Value x, Value y) {
  return arith::OrIOp::create(b, loc, x, y);
}
Value IndexArith::bitAnd(Value x, Value y) {
  return arith::AndIOp::create(b, loc, x, y);
}
Value IndexArith::minu(Value x, Value y) {
  return arith::MinUIOp::create(b, loc, x, y);
}
Value IndexArith::ult(Value x, Value y) {
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
}
Value IndexArith::eq(Value x, Value y) {
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, y);
}
Value IndexArith::select(Value c, Value x, Value y) {
  return arith::SelectOp::create(b, loc, c, x, y);
}
Value IndexArith::indexToI32(Value x) {
  return arith::IndexCastUIOp::create(b, loc, b.getI32Type(), x);
}
Value IndexArith::weight(Value tensor, Value row, Value col) {
  Value v = tensor::ExtractOp::create(b, loc, tensor, ValueRange{row, col});
  return arith::ExtSIOp::create(b, loc, b.getI32Type(), v);
}
Value IndexArith::byte(Value tensor, Value row, Value col) {
  Value v = tensor::ExtractOp::create(b, loc, tensor, ValueRange{row, col});
  return arith::ExtUIOp::create(b, loc, b.getI32Type(), v);
}
Value IndexArith::pow3(Value e) {
  Value p = i32(81);
  for (int64_t i = 3, pw = 27; i >= 0; --i, pw /= 3)
    p = select(eq(e, idx(i)), i32(pw), p);
  return p;
}
