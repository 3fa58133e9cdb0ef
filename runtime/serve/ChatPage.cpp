//===- ChatPage.cpp - The chat page served at / ---------------------------===//

#include "runtime/serve/ChatPage.h"

namespace tern {

const std::string &chatPageHtml() {
  static const std::string page =
#include "ChatPage.inc"
      ;
  return page;
}

} // namespace tern
