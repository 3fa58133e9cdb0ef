//===- OrError.h - A value or an error message ----------------------------===//
//
// The result type of everything in runtime/model that can fail on bad input:
// either a value or a human-readable error message that names the input
// (file, metadata key or tensor) and what is wrong with it. Bad input never
// throws and never aborts; callers test the result and print `error`.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_MODEL_ORERROR_H
#define TERN_RUNTIME_MODEL_ORERROR_H

#include <optional>
#include <string>
#include <utility>

namespace tern {

/// Either a `T` or an error message (like TokenizerOrError, but generic).
/// Exactly one of `value` / `error` is meaningful: `ok()` tells which.
template <typename T> struct OrError {
  std::optional<T> value;
  std::string error;

  OrError() = default;
  /// A success holding `v` (explicit, so that a string meant as an error
  /// message never silently becomes an OrError<std::string> value).
  explicit OrError(T v) : value(std::move(v)) {}

  /// A failure with message `message` (should be non-empty).
  static OrError failure(std::string message) {
    OrError r;
    r.error = std::move(message);
    return r;
  }

  bool ok() const { return value.has_value(); }
  explicit operator bool() const { return ok(); }
  T &operator*() { return *value; }
  const T &operator*() const { return *value; }
  T *operator->() { return &*value; }
  const T *operator->() const { return &*value; }
};

} // namespace tern

#endif // TERN_RUNTIME_MODEL_ORERROR_H
