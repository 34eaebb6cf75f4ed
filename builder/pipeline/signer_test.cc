#include "builder/pipeline/signer.h"

#include <gtest/gtest.h>

#include "builder/common/files.h"
#include "signing/key_generation.h"

namespace kiln::pipeline {
namespace {

namespace fs = std::filesystem;

class SignerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = TempDir::Create().value();
    for (const char* name : {"a", "b"}) {
      auto k = signing::GenerateKey(signing::KeyAlgorithm::kEcP256, name, 30);
      ASSERT_TRUE(k.ok()) << k.error().message;
      ASSERT_TRUE(signing::WriteKeyFiles(*k, tmp_.path(), name).ok());
    }
  }
  std::string Path(const std::string& file) const { return (tmp_.path() / file).string(); }
  TempDir tmp_;
};

TEST(SigningPathsFor, FlagsWinOverTheRecipe) {
  recipe::SigningSection s{"/r.key", fs::path("/r.crt"), false};
  SigningPaths both = SigningPathsFor("/f.key", "/f.crt", s);
  EXPECT_EQ(both.key, "/f.key");
  EXPECT_EQ(both.cert, "/f.crt");
  SigningPaths recipe_only = SigningPathsFor("", "", s);
  EXPECT_EQ(recipe_only.key, "/r.key");
  EXPECT_EQ(recipe_only.cert, "/r.crt");
  SigningPaths none = SigningPathsFor("", "", recipe::SigningSection{});
  EXPECT_TRUE(none.key.empty() && none.cert.empty());
}

TEST_F(SignerTest, NoKeyIsNoSignerUnlessRequired) {
  auto optional = LoadSigner({}, false);
  ASSERT_TRUE(optional.ok());
  EXPECT_FALSE(optional->has_value());
  auto required = LoadSigner({}, true);
  ASSERT_FALSE(required.ok());
  EXPECT_EQ(required.error().code, ErrorCode::kUsage);
  EXPECT_NE(required.error().message.find("--unsigned"), std::string::npos) << required.error().message;
}

TEST_F(SignerTest, KeyWithoutCertificateIsUsage) {
  auto r = LoadSigner({Path("a.key"), ""}, false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUsage);
  EXPECT_EQ(r.error().message, "signing needs both a key and a certificate");
}

TEST_F(SignerTest, KeyOfAnotherCertificateIsRefused) {
  auto r = LoadSigner({Path("a.key"), Path("b.crt")}, true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInput);
  EXPECT_NE(r.error().message.find("does not match the certificate"), std::string::npos);
}

TEST_F(SignerTest, MatchingPairLoads) {
  auto r = LoadSigner({Path("a.key"), Path("a.crt")}, true);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->has_value());
  EXPECT_TRUE(signing::KeyMatchesCertificate((*r)->key, (*r)->cert));
}

}  // namespace
}  // namespace kiln::pipeline
