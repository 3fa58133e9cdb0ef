//===- TextTest.cpp - Escaping text for messages --------------------------===//

#include "runtime/support/Text.h"

#include <gtest/gtest.h>

namespace tern {
namespace {

TEST(Text, PrintableAndUtf8PassThrough) {
  EXPECT_EQ(escapeForMessage("bitnet-b1.58 'x' \\ ok"), "bitnet-b1.58 'x' \\ ok");
  EXPECT_EQ(escapeForMessage("\xC4\xA0world \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "\xC4\xA0world \xE2\x82\xAC \xF0\x9F\x98\x80");
}

TEST(Text, ControlBytesAreEscaped) {
  // A NUL inside a name cut the message there.
  EXPECT_EQ(escapeForMessage(std::string("bitnet-b1.58\0x", 14)),
            "bitnet-b1.58\\x00x");
  EXPECT_EQ(escapeForMessage("\x07" "05"), "\\x0705");
  EXPECT_EQ(escapeForMessage("a\x1B[31mred\n"), "a\\x1B[31mred\\x0A");
  EXPECT_EQ(escapeForMessage("\x7F"), "\\x7F");
}

TEST(Text, MalformedUtf8IsEscaped) {
  EXPECT_EQ(escapeForMessage("\xFF\xFE"), "\\xFF\\xFE");
  EXPECT_EQ(escapeForMessage("\xC0\xAF"), "\\xC0\\xAF");     // overlong
  EXPECT_EQ(escapeForMessage("\xED\xA0\x80"), "\\xED\\xA0\\x80"); // surrogate
  EXPECT_EQ(escapeForMessage("\xE2\x82"), "\\xE2\\x82");     // truncated
}

} // namespace
} // namespace tern
