#include "signing/pkcs7.h"

#include <gtest/gtest.h>

#include "signing/testing_keys.h"

namespace kiln::signing {
namespace {

using testkeys::RunOpenSsl;
using testkeys::Write;

constexpr std::string_view kRootHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

TEST(Pkcs7Test, OpenSslSmimeAcceptsSignature) {
  KILN_REQUIRE_OPENSSL();
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  Write(dir->path() / "roothash.txt", kRootHash);
  for (const GeneratedKey* key : {&testkeys::RsaKey(), &testkeys::EcKey()}) {
    auto der = SignPkcs7Detached(kRootHash, key->key, key->certificate);
    ASSERT_TRUE(der.ok()) << der.error().ToString();
    Write(dir->path() / "sig.der", *der);
    Write(dir->path() / "cert.pem", key->certificate_pem);
    // The exact check from formats.md (no -purpose override needed).
    auto r = RunOpenSsl(dir->path(), {"smime", "-verify", "-binary", "-inform", "DER", "-content",
                                      "roothash.txt", "-in", "sig.der", "-CAfile", "cert.pem",
                                      "-out", "/dev/null"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("Verification successful"), std::string::npos) << r.err;

    // No signed attributes, detached, signer certificate embedded.
    auto dump = RunOpenSsl(dir->path(), {"pkcs7", "-inform", "DER", "-in", "sig.der", "-print"});
    ASSERT_EQ(dump.exit_code, 0) << dump.err;
    std::size_t attrs = dump.out.find(" auth_attr:");  // not "unauth_attr:"
    ASSERT_NE(attrs, std::string::npos) << dump.out;
    std::size_t value = dump.out.find_first_not_of(" \n", attrs + 11);
    EXPECT_EQ(dump.out.compare(value, 8, "<ABSENT>"), 0) << dump.out;
    EXPECT_NE(dump.out.find("d.data: <ABSENT>"), std::string::npos) << dump.out;
    auto certs = RunOpenSsl(dir->path(), {"pkcs7", "-inform", "DER", "-in", "sig.der", "-print_certs"});
    EXPECT_NE(certs.out.find("subject=CN = " + CertificateSubject(key->certificate).substr(3)),
              std::string::npos) << certs.out;

    // Another content fails the independent check too.
    Write(dir->path() / "other.txt", std::string(kRootHash) + "\n");
    auto bad = RunOpenSsl(dir->path(), {"smime", "-verify", "-binary", "-inform", "DER", "-content",
                                        "other.txt", "-in", "sig.der", "-CAfile", "cert.pem",
                                        "-out", "/dev/null"});
    EXPECT_NE(bad.exit_code, 0);
  }
}

TEST(Pkcs7Test, VerifiesSignatureMadeByOpenSsl) {
  KILN_REQUIRE_OPENSSL();
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  const GeneratedKey& key = testkeys::RsaKey();
  Write(dir->path() / "data", kRootHash);
  Write(dir->path() / "k.pem", key.private_key_pem);
  Write(dir->path() / "c.pem", key.certificate_pem);
  auto r = RunOpenSsl(dir->path(), {"smime", "-sign", "-binary", "-noattr", "-in", "data", "-signer",
                                    "c.pem", "-inkey", "k.pem", "-outform", "DER", "-out", "s.der"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string der = *ReadFile(dir->path() / "s.der");
  EXPECT_TRUE(VerifyPkcs7Detached(kRootHash, der, key.certificate).ok());
  // And OpenSSL's signature is the same bytes as ours: same structure, deterministic RSA.
  EXPECT_EQ(der, *SignPkcs7Detached(kRootHash, key.key, key.certificate));
}

TEST(Pkcs7Test, RsaSignaturesAreByteIdentical) {
  const GeneratedKey& key = testkeys::RsaKey();
  auto a = SignPkcs7Detached(kRootHash, key.key, key.certificate);
  auto b = SignPkcs7Detached(kRootHash, key.key, key.certificate);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_TRUE(VerifyPkcs7Detached(kRootHash, *a, key.certificate).ok());
}

TEST(Pkcs7Test, EcSignaturesVerify) {
  const GeneratedKey& key = testkeys::EcKey();
  auto der = SignPkcs7Detached(kRootHash, key.key, key.certificate);
  ASSERT_TRUE(der.ok()) << der.error().ToString();
  EXPECT_TRUE(VerifyPkcs7Detached(kRootHash, *der, key.certificate).ok());
}

TEST(Pkcs7Test, TamperingIsDetected) {
  const GeneratedKey& key = testkeys::RsaKey();
  std::string der = *SignPkcs7Detached(kRootHash, key.key, key.certificate);
  std::string fp = CertificateFingerprintSha256(key.certificate);

  std::string data(kRootHash);
  data[0] ^= 1;
  Status s = VerifyPkcs7Detached(data, der, key.certificate);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kIntegrity);
  EXPECT_NE(s.error().message.find("signature does not verify with certificate " + fp), std::string::npos)
      << s.error().message;

  // The RSA signature value is the last bytes of the DER: flip one there.
  std::string flipped = der;
  flipped[flipped.size() - 10] ^= 0x01;
  s = VerifyPkcs7Detached(kRootHash, flipped, key.certificate);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kIntegrity);

  // Any single-byte change anywhere must be rejected (as malformed or as not verifying),
  // including inside the embedded signer certificate and unsigned metadata (EC: smaller DER).
  const GeneratedKey& ec = testkeys::EcKey();
  std::string ec_der = *SignPkcs7Detached(kRootHash, ec.key, ec.certificate);
  for (std::size_t i = 0; i < ec_der.size(); ++i) {
    std::string t = ec_der;
    t[i] ^= 0x20;
    EXPECT_FALSE(VerifyPkcs7Detached(kRootHash, t, ec.certificate).ok()) << "offset " << i;
  }
}

TEST(Pkcs7Test, AnotherCertificateFails) {
  const GeneratedKey& key = testkeys::RsaKey();
  const GeneratedKey& other = testkeys::OtherRsaKey();  // same subject "CN=kiln"
  std::string der = *SignPkcs7Detached(kRootHash, key.key, key.certificate);
  Status s = VerifyPkcs7Detached(kRootHash, der, other.certificate);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kIntegrity);
  EXPECT_NE(s.error().message.find(CertificateFingerprintSha256(other.certificate)), std::string::npos);
  EXPECT_FALSE(VerifyPkcs7Detached(kRootHash, der, testkeys::EcKey().certificate).ok());
}

TEST(Pkcs7Test, MalformedInputIsReported) {
  const Certificate& cert = testkeys::RsaKey().certificate;
  for (std::string bad : {std::string(), std::string("not der"), std::string("\x30\x03\x02\x01\x01", 5)}) {
    Status s = VerifyPkcs7Detached(kRootHash, bad, cert);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::kIntegrity);
    EXPECT_NE(s.error().message.find("malformed PKCS#7"), std::string::npos) << s.error().message;
  }
  std::string der = *SignPkcs7Detached(kRootHash, testkeys::RsaKey().key, cert);
  Status s = VerifyPkcs7Detached(kRootHash, der + "x", cert);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("malformed PKCS#7"), std::string::npos);
}

TEST(Pkcs7Test, SigningWithKeyOfAnotherCertificateFails) {
  auto r = SignPkcs7Detached(kRootHash, testkeys::RsaKey().key, testkeys::OtherRsaKey().certificate);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("does not belong"), std::string::npos);
}

}  // namespace
}  // namespace kiln::signing
