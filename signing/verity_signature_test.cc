#include "signing/verity_signature.h"

#include <gtest/gtest.h>

#include "signing/base64.h"
#include "signing/pkcs7.h"
#include "signing/testing_keys.h"

namespace kiln::signing {
namespace {

using testkeys::RunOpenSsl;
using testkeys::Write;

const std::string kRootHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

TEST(VeritySignatureTest, JsonHasSystemdShape) {
  const GeneratedKey& key = testkeys::RsaKey();
  std::string der = *SignPkcs7Detached(kRootHash, key.key, key.certificate);
  auto json = MakeVeritySignatureJson(kRootHash, key.certificate, der);
  ASSERT_TRUE(json.ok()) << json.error().ToString();
  EXPECT_EQ(*json, R"({"rootHash":")" + kRootHash + R"(","certificateFingerprint":")" +
                       CertificateFingerprintSha256(key.certificate) + R"(","signature":")" +
                       Base64Encode(der) + R"("})");
}

TEST(VeritySignatureTest, RoundTripThroughPaddedPartition) {
  const GeneratedKey& key = testkeys::RsaKey();
  std::string der = *SignPkcs7Detached(kRootHash, key.key, key.certificate);
  std::string json = *MakeVeritySignatureJson(kRootHash, key.certificate, der);
  std::string padded = PadVeritySignature(json);
  EXPECT_EQ(padded.size() % 4096, 0u);
  EXPECT_LE(padded.size(), kVeritySignaturePartitionSize);
  EXPECT_EQ(padded.substr(0, json.size()), json);
  EXPECT_EQ(padded.find_first_not_of('\0', json.size()), std::string::npos);

  auto sig = ParseVeritySignature(padded);
  ASSERT_TRUE(sig.ok()) << sig.error().ToString();
  EXPECT_EQ(sig->root_hash_hex, kRootHash);
  EXPECT_EQ(sig->certificate_fingerprint, CertificateFingerprintSha256(key.certificate));
  EXPECT_EQ(sig->signature_der, der);
  EXPECT_EQ(*ParseVeritySignature(json), *sig);  // padding optional
  EXPECT_TRUE(VerifyVeritySignature(*sig, key.certificate).ok());

  Status other = VerifyVeritySignature(*sig, testkeys::OtherRsaKey().certificate);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kIntegrity);

  VeritySignature forged = *sig;
  forged.root_hash_hex[5] = forged.root_hash_hex[5] == '0' ? '1' : '0';
  EXPECT_EQ(VerifyVeritySignature(forged, key.certificate).error().code, ErrorCode::kIntegrity);
}

TEST(VeritySignatureTest, SignatureFromPartitionPassesOpenSslSmime) {
  KILN_REQUIRE_OPENSSL();
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  const GeneratedKey& key = testkeys::EcKey();
  std::string padded = PadVeritySignature(*MakeVeritySignatureJson(
      kRootHash, key.certificate, *SignPkcs7Detached(kRootHash, key.key, key.certificate)));
  auto sig = ParseVeritySignature(padded);
  ASSERT_TRUE(sig.ok());
  Write(dir->path() / "roothash.txt", sig->root_hash_hex);
  Write(dir->path() / "sig.der", sig->signature_der);
  Write(dir->path() / "cert.pem", key.certificate_pem);
  auto r = RunOpenSsl(dir->path(), {"smime", "-verify", "-binary", "-inform", "DER", "-content",
                                    "roothash.txt", "-in", "sig.der", "-CAfile", "cert.pem", "-out", "/dev/null"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(VeritySignatureTest, RejectsBadInput) {
  const Certificate& cert = testkeys::RsaKey().certificate;
  EXPECT_FALSE(MakeVeritySignatureJson("ABCD", cert, "x").ok());
  EXPECT_FALSE(MakeVeritySignatureJson("abc", cert, "x").ok());
  EXPECT_FALSE(MakeVeritySignatureJson(kRootHash, cert, "").ok());

  std::string fp(64, 'a');
  for (std::string bad : {
           std::string(4096, '\0'),
           std::string("not json"),
           std::string(R"({"rootHash":"ab","certificateFingerprint":")" + fp + R"("})"),
           std::string(R"({"rootHash":"XY","certificateFingerprint":")" + fp + R"(","signature":"AAAA"})"),
           std::string(R"({"rootHash":"ab","certificateFingerprint":"abcd","signature":"AAAA"})"),
           std::string(R"({"rootHash":"ab","certificateFingerprint":")" + fp + R"(","signature":"!"})"),
           std::string(R"({"rootHash":"ab","certificateFingerprint":")" + fp + R"(","signature":""})"),
           std::string(R"({"rootHash":"ab"})") + '\0' + "x",
       }) {
    auto r = ParseVeritySignature(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInput) << bad;
  }
}

}  // namespace
}  // namespace kiln::signing
