//===- StreamDecoder.cpp - Token ids to whole UTF-8 characters -----------===//

#include "runtime/tokenizer/Tokenizer.h"
#include "runtime/tokenizer/Utf8.h"

namespace tern {
namespace {

// Moves the whole characters at the front of `pending` to the result; an
// incomplete character at the end stays unless `final`. Ill-formed bytes
// become U+FFFD.
std::string drain(std::string &pending, bool final) {
  std::string out;
  size_t pos = 0;
  while (pos < pending.size()) {
    std::string_view rest(pending.data() + pos, pending.size() - pos);
    utf8::Step step = utf8::next(rest);
    if (step.status == utf8::Status::Valid) {
      out.append(rest.substr(0, step.length));
      pos += step.length;
    } else if (step.status == utf8::Status::Invalid) {
      out.append(kReplacementChar);
      pos += step.length;
    } else { // Truncated: only possible at the end of `pending`.
      if (!final)
        break;
      out.append(kReplacementChar);
      pos = pending.size();
    }
  }
  pending.erase(0, pos);
  return out;
}

} // namespace

StreamDecoder::StreamDecoder(const Tokenizer &tokenizer, bool skipSpecial)
    : tokenizer_(tokenizer), skipSpecial_(skipSpecial) {}

std::string StreamDecoder::push(TokenId id) {
  if (id < 0 || id >= tokenizer_.vocabSize())
    pending_.append(kReplacementChar);
  else if (!(skipSpecial_ && tokenizer_.isSpecial(id)))
    pending_.append(tokenizer_.tokenBytes(id));
  return drain(pending_, /*final=*/false);
}

std::string StreamDecoder::flush() { return drain(pending_, /*final=*/true); }

} // namespace tern
