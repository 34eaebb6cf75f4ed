#include "builder/channel/signed_index.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "builder/channel/testing_index.h"
#include "builder/common/files.h"
#include "signing/pkcs7.h"
#include "signing/testing_keys.h"

namespace kiln::channel {
namespace {

namespace testkeys = signing::testkeys;

TEST(SignedIndex, VerifiesWithItsCertificate) {
  const auto& key = testkeys::RsaKey();
  auto der = SignIndex(testing::SampleIndex(), key.key, key.certificate);
  ASSERT_TRUE(der.ok()) << der.error().ToString();
  auto index = VerifyIndex(*der, key.certificate);
  ASSERT_TRUE(index.ok()) << index.error().ToString();
  EXPECT_EQ(*index, testing::SampleIndex());
  // Deterministic with an RSA key: republishing the same index gives the same bytes.
  EXPECT_EQ(*der, *SignIndex(testing::SampleIndex(), key.key, key.certificate));
  auto signer = IndexSigner(*der);
  ASSERT_TRUE(signer.ok());
  EXPECT_EQ(signing::CertificateDer(*signer), signing::CertificateDer(key.certificate));
}

TEST(SignedIndex, EcKeysWork) {
  const auto& key = testkeys::EcKey();
  auto der = SignIndex(testing::SampleIndex(), key.key, key.certificate);
  ASSERT_TRUE(der.ok());
  EXPECT_TRUE(VerifyIndex(*der, key.certificate).ok());
}

TEST(SignedIndex, RefusesAnotherSigner) {
  // Same subject name, other key: a check comparing names would pass it.
  auto der = SignIndex(testing::SampleIndex(), testkeys::OtherRsaKey().key, testkeys::OtherRsaKey().certificate);
  ASSERT_TRUE(der.ok());
  auto r = VerifyIndex(*der, testkeys::RsaKey().certificate);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIntegrity);
  EXPECT_NE(r.error().ToString().find(signing::CertificateFingerprintSha256(testkeys::RsaKey().certificate)),
            std::string::npos);
}

TEST(SignedIndex, RefusesEveryFlippedByte) {
  const auto& key = testkeys::EcKey();  // small signature: few bytes to flip
  auto der = SignIndex(testing::SampleIndex(), key.key, key.certificate);
  ASSERT_TRUE(der.ok());
  for (std::size_t i = 0; i < der->size(); i += 7) {
    std::string bad = *der;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_FALSE(VerifyIndex(bad, key.certificate).ok()) << "byte " << i;
  }
  EXPECT_FALSE(VerifyIndex(der->substr(0, der->size() - 1), key.certificate).ok());
  EXPECT_FALSE(VerifyIndex(*der + "x", key.certificate).ok());
  EXPECT_FALSE(VerifyIndex("", key.certificate).ok());
}

TEST(SignedIndex, RefusesDetachedSignatures) {
  const auto& key = testkeys::RsaKey();
  auto json = WriteIndexJson(testing::SampleIndex());
  auto der = signing::SignPkcs7Detached(*json, key.key, key.certificate);
  ASSERT_TRUE(der.ok());
  auto r = VerifyIndex(*der, key.certificate);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().ToString().find("detached"), std::string::npos) << r.error().ToString();
}

TEST(SignedIndex, RefusesValidSignatureOverBadIndex) {
  const auto& key = testkeys::RsaKey();
  auto der = signing::SignPkcs7Attached("{\"schema\":\"kiln.channel.v1\"}", key.key, key.certificate);
  ASSERT_TRUE(der.ok());
  auto r = VerifyIndex(*der, key.certificate);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInput);
}

TEST(SignedIndex, RefusesOversizedInputBeforeDecoding) {
  auto r = VerifyIndex(std::string(kMaxSignedIndexSize + 1, '\x30'), testkeys::RsaKey().certificate);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().ToString().find("limit"), std::string::npos);
}

TEST(SignedIndex, OpenSslCmsPrintsTheIndex) {
  KILN_REQUIRE_OPENSSL();
  const auto& key = testkeys::RsaKey();
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  auto der = SignIndex(testing::SampleIndex(), key.key, key.certificate);
  ASSERT_TRUE(der.ok());
  testkeys::Write(dir->path() / "index.p7s", *der);
  testkeys::Write(dir->path() / "cert.pem", key.certificate_pem);
  auto r = testkeys::RunOpenSsl(dir->path(), {"cms", "-verify", "-inform", "DER", "-in", "index.p7s",
                                              "-CAfile", "cert.pem", "-binary"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, *WriteIndexJson(testing::SampleIndex()));
}

// What openssl cms makes from the same JSON and key is accepted; without the embedded
// certificate, or with another certificate beside it, it is not.
TEST(SignedIndex, EmbeddedCertificateMustBeExactlyTheSigner) {
  KILN_REQUIRE_OPENSSL();
  const auto& key = testkeys::RsaKey();
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  testkeys::Write(dir->path() / "index.json", *WriteIndexJson(testing::SampleIndex()));
  testkeys::Write(dir->path() / "k.pem", key.private_key_pem);
  testkeys::Write(dir->path() / "c.pem", key.certificate_pem);
  testkeys::Write(dir->path() / "other.pem", testkeys::OtherRsaKey().certificate_pem);
  auto sign = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"cms", "-sign", "-binary", "-nodetach", "-noattr", "-outform", "DER", "-in",
                                     "index.json", "-signer", "c.pem", "-inkey", "k.pem", "-out", "s.der"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = testkeys::RunOpenSsl(dir->path(), args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return *ReadFile(dir->path() / "s.der");
  };
  auto plain = VerifyIndex(sign({}), key.certificate);
  EXPECT_TRUE(plain.ok()) << plain.error().ToString();
  auto nocerts = VerifyIndex(sign({"-nocerts"}), key.certificate);
  ASSERT_FALSE(nocerts.ok());
  EXPECT_NE(nocerts.error().ToString().find("embedded certificate"), std::string::npos) << nocerts.error().ToString();
  EXPECT_FALSE(VerifyIndex(sign({"-certfile", "other.pem"}), key.certificate).ok());
}

// The fuzz seed corpus holds this exact index.p7s; KILN_UPDATE_TESTDATA=1 rewrites it.
TEST(SignedIndex, FuzzSeedIsCurrent) {
  const auto& key = testkeys::RsaKey();
  auto der = SignIndex(testing::SampleIndex(), key.key, key.certificate);
  ASSERT_TRUE(der.ok());
  const std::filesystem::path seed = std::filesystem::path(KILN_TESTDATA) / "fuzz/channel_index/signed-index.p7s";
  const std::filesystem::path json = std::filesystem::path(KILN_TESTDATA) / "fuzz/channel_index/index.json";
  if (std::getenv("KILN_UPDATE_TESTDATA") != nullptr) {
    ASSERT_TRUE(WriteFile(seed, *der, 0644).ok());
    ASSERT_TRUE(WriteFile(json, *WriteIndexJson(testing::SampleIndex()), 0644).ok());
  }
  auto committed = ReadFile(seed);
  ASSERT_TRUE(committed.ok()) << "run with KILN_UPDATE_TESTDATA=1 once";
  EXPECT_EQ(*committed, *der);
  EXPECT_TRUE(VerifyIndex(*committed, key.certificate).ok());
}

}  // namespace
}  // namespace kiln::channel
