//===- FlagReader.h - Reading a command line's flags one at a time --------===//
//
// Shared by the run and serve flag tables (RunFlags.cpp, ServeFlags.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_GENERATE_FLAGREADER_H
#define TERN_RUNTIME_GENERATE_FLAGREADER_H

#include "runtime/support/Text.h"

#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace tern {

inline bool parseFloat(const std::string &s, float &out) {
  if (s.empty())
    return false;
  errno = 0;
  char *end = nullptr;
  const float v = std::strtof(s.c_str(), &end);
  // Underflow (1e-40) is a number, rounded to a denormal or 0; overflow
  // is not.
  const bool underflow = errno == ERANGE && std::fabs(v) <= FLT_MIN;
  if ((errno != 0 && !underflow) || *end != '\0' || !std::isfinite(v))
    return false;
  out = v;
  return true;
}

/// A command line's flags one at a time: `--flag=value`, `--flag value`,
/// `-f value`, or a flag alone. The parsers return an error message or "".
class FlagReader {
public:
  explicit FlagReader(const std::vector<std::string> &args) : args_(args) {}

  /// Advances to the next flag; false at the end.
  bool next() {
    if (++i_ >= args_.size())
      return false;
    flag_ = args_[i_];
    inline_.reset();
    const size_t eq = flag_.find('=');
    if (flag_.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_ = flag_.substr(eq + 1);
      flag_ = flag_.substr(0, eq);
    }
    return true;
  }
  const std::string &flag() const { return flag_; }
  /// The last value read (for messages).
  const std::string &last() const { return value_; }

  std::string value(std::string &out) {
    if (inline_) {
      value_ = *inline_;
    } else if (i_ + 1 < args_.size()) {
      value_ = args_[++i_];
    } else {
      return flag_ + " needs a value";
    }
    out = value_;
    return "";
  }
  std::string integer(int64_t &out, int64_t min) {
    std::string v;
    if (std::string e = value(v); !e.empty())
      return e;
    if (!parseInt64(v, out))
      return flag_ + ": '" + v + "' is not an integer";
    if (out < min)
      return flag_ + ": " + v + " is below the minimum " + std::to_string(min);
    return "";
  }
  std::string number(float &out) {
    std::string v;
    if (std::string e = value(v); !e.empty())
      return e;
    if (!parseFloat(v, out))
      return flag_ + ": '" + v + "' is not a number";
    return "";
  }
  /// For flags that take no value.
  std::string none() const {
    return inline_ ? flag_ + " takes no value" : "";
  }

private:
  const std::vector<std::string> &args_;
  size_t i_ = static_cast<size_t>(-1);
  std::string flag_, value_;
  std::optional<std::string> inline_;
};

/// One --help line: "  -n, --n-predict N" (long-only flags indented to
/// line up with the short ones), padded to column 30, then the help.
inline std::string flagHelpLine(const std::vector<std::string> &names,
                                const char *value, const char *help) {
  std::string line = "  ";
  if (names[0].rfind("--", 0) == 0)
    line += "    ";
  for (size_t i = 0; i < names.size(); ++i)
    line += (i ? ", " : "") + names[i];
  if (*value)
    line += std::string(" ") + value;
  line += line.size() < 30 ? std::string(30 - line.size(), ' ')
                           : "\n" + std::string(30, ' ');
  return line + help + "\n";
}

} // namespace tern

#endif // TERN_RUNTIME_GENERATE_FLAGREADER_H
