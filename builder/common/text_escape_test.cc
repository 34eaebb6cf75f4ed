#include "builder/common/text_escape.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

TEST(TextEscapeTest, TerminalEscapes) {
  EXPECT_EQ(EscapeForTerminal("root-x86-64"), "root-x86-64");
  EXPECT_EQ(EscapeForTerminal("h\xc3\xa9llo \xe2\x82\xac"), "h\xc3\xa9llo \xe2\x82\xac");  // UTF-8 passes
  EXPECT_EQ(EscapeForTerminal("\x1b[31mred\x1b]0;title\x07"), "\\x1b[31mred\\x1b]0;title\\x07");
  EXPECT_EQ(EscapeForTerminal("a\nb\tc\\d\x7f"), "a\\nb\\tc\\\\d\\x7f");
  EXPECT_EQ(EscapeForTerminal("\xc2\x9b" "2J"), "\\xc2\\x9b2J");  // C1 CSI
  EXPECT_EQ(EscapeForTerminal("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(EscapeForTerminal("\xc0\xaf"), "\\xc0\\xaf");          // overlong '/'
  EXPECT_EQ(EscapeForTerminal("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // surrogate
  EXPECT_EQ(EscapeForTerminal(std::string("a\0b", 3)), "a\\x00b");
}

TEST(TextEscapeTest, MessagesKeepLines) {
  EXPECT_EQ(EscapeMessageForTerminal("r.toml:1:2: bad\n  x = 1\n  ^\x1b[2J"), "r.toml:1:2: bad\n  x = 1\n  ^\\x1b[2J");
}

TEST(TextEscapeTest, Utf8) {
  EXPECT_TRUE(IsValidUtf8("plain \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));  // truncated
  EXPECT_EQ(ToValidUtf8("a\xff" "b"), "a\xef\xbf\xbd" "b");
  EXPECT_EQ(ToValidUtf8("ok \xc3\xa9"), "ok \xc3\xa9");
}

}  // namespace
}  // namespace kiln
