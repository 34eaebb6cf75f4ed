#include "signing/base64.h"

#include <gtest/gtest.h>

namespace kiln::signing {
namespace {

TEST(Base64Test, Rfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto d = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(d.ok()) << s;
    EXPECT_EQ(*d, s);
  }
}

TEST(Base64Test, BinaryRoundTripAndUrlSafe) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  auto d = Base64Decode(Base64Encode(all));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, all);
  EXPECT_EQ(Base64Encode("\xfb\xff"), "+/8=");
  EXPECT_EQ(*Base64Decode("-_8="), "\xfb\xff");
  EXPECT_EQ(*Base64Decode("-_8"), "\xfb\xff");  // unpadded
}

TEST(Base64Test, RejectsBadInput) {
  for (const char* bad : {"Zm9v!", "Z", "Zm9v Yg==", "Zg=", "Zh==", "=Zg="}) {
    auto d = Base64Decode(bad);
    EXPECT_FALSE(d.ok()) << bad;
    if (!d.ok()) {
      EXPECT_EQ(d.error().code, ErrorCode::kInput);
    }
  }
}

}  // namespace
}  // namespace kiln::signing
