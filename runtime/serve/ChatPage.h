//===- ChatPage.h - The chat page served at / -----------------------------===//
//
// runtime/serve/chat.html (plain HTML and JavaScript, no build step),
// embedded at build time (CMakeLists.txt writes ChatPage.inc from it).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_SERVE_CHATPAGE_H
#define TERN_RUNTIME_SERVE_CHATPAGE_H

#include <string>

namespace tern {
const std::string &chatPageHtml();
} // namespace tern

#endif // TERN_RUNTIME_SERVE_CHATPAGE_H
