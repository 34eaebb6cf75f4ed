#include "signing/key_generation.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>

#include "signing/testing_keys.h"

namespace kiln::signing {
namespace {

using testkeys::RunOpenSsl;
using testkeys::Write;

unsigned ModeOf(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

// "sha256 Fingerprint=AB:CD:..." -> "abcd..."
std::string NormaliseFingerprint(std::string s) {
  auto eq = s.find('=');
  if (eq != std::string::npos) s = s.substr(eq + 1);
  std::string out;
  for (char c : s) {
    if (std::isxdigit(static_cast<unsigned char>(c))) out += static_cast<char>(std::tolower(c));
  }
  return out;
}

// Fresh keys from the code under test (the other tests use fixed keys from testdata/).
const GeneratedKey& FreshRsa() {
  static const GeneratedKey key = GenerateKey(KeyAlgorithm::kRsa3072, "kiln", 30).value();
  return key;
}
const GeneratedKey& FreshEc() {
  static const GeneratedKey key = GenerateKey(KeyAlgorithm::kEcP256, "kiln-ec", 30).value();
  return key;
}

class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t m) : old_(::umask(m)) {}
  ~UmaskGuard() { ::umask(old_); }
 private:
  mode_t old_;
};

TEST(KeyGenerationTest, WritesKeyWithMode0600AndCertWith0644WhateverTheUmask) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  const GeneratedKey& key = testkeys::RsaKey();
  {
    UmaskGuard guard(0);  // would give 0666-style modes if the code relied on the umask
    ASSERT_TRUE(WriteKeyFiles(key, dir->path(), "a").ok());
  }
  {
    UmaskGuard guard(0277);  // would strip the owner's write bit
    ASSERT_TRUE(WriteKeyFiles(key, dir->path(), "b").ok());
  }
  for (const char* name : {"a", "b"}) {
    EXPECT_EQ(ModeOf(dir->path() / (std::string(name) + ".key")), 0600u) << name;
    EXPECT_EQ(ModeOf(dir->path() / (std::string(name) + ".crt")), 0644u) << name;
  }
  auto loaded = LoadPrivateKey((dir->path() / "a.key").string());
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  auto cert = LoadCertificate((dir->path() / "a.crt").string());
  ASSERT_TRUE(cert.ok()) << cert.error().ToString();
  EXPECT_TRUE(KeyMatchesCertificate(*loaded, *cert));
  EXPECT_EQ(CertificateDer(*cert), CertificateDer(key.certificate));
}

TEST(KeyGenerationTest, RefusesToOverwriteAndLeavesNothingHalfDone) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  Write(dir->path() / "k.crt", "existing");
  Status s = WriteKeyFiles(testkeys::RsaKey(), dir->path(), "k");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("k.crt"), std::string::npos) << s.error().message;
  EXPECT_FALSE(std::filesystem::exists(dir->path() / "k.key"));
  EXPECT_EQ(*ReadFile(dir->path() / "k.crt"), "existing");

  ASSERT_TRUE(WriteKeyFiles(testkeys::RsaKey(), dir->path(), "n").ok());
  EXPECT_FALSE(WriteKeyFiles(testkeys::EcKey(), dir->path(), "n").ok());
  EXPECT_EQ(*ReadFile(dir->path() / "n.key"), testkeys::RsaKey().private_key_pem);

  EXPECT_FALSE(WriteKeyFiles(testkeys::RsaKey(), dir->path(), "../x").ok());
  EXPECT_FALSE(WriteKeyFiles(testkeys::RsaKey(), dir->path(), "").ok());
}

TEST(KeyGenerationTest, RejectsBadParameters) {
  EXPECT_FALSE(GenerateKey(KeyAlgorithm::kEcP256, "", 10).ok());
  EXPECT_FALSE(GenerateKey(KeyAlgorithm::kEcP256, std::string(65, 'x'), 10).ok());
  auto r = GenerateKey(KeyAlgorithm::kEcP256, "kiln", 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUsage);
}

// The one test that pays for fresh key generation (RSA-3072 takes 0.5-5 s here).
TEST(KeyGenerationTest, FreshKeysMatchOpenSsl) {
  KILN_REQUIRE_OPENSSL();
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  for (const GeneratedKey* key : {&FreshRsa(), &FreshEc()}) {
    Write(dir->path() / "c.pem", key->certificate_pem);
    auto fp = RunOpenSsl(dir->path(), {"x509", "-in", "c.pem", "-noout", "-fingerprint", "-sha256"});
    ASSERT_EQ(fp.exit_code, 0) << fp.err;
    EXPECT_EQ(NormaliseFingerprint(fp.out), CertificateFingerprintSha256(key->certificate));
    EXPECT_EQ(CertificateFingerprintSha256(key->certificate).size(), 64u);

    auto text = RunOpenSsl(dir->path(), {"x509", "-in", "c.pem", "-noout", "-text"});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find("Version: 3"), std::string::npos);
    EXPECT_NE(text.out.find("CA:TRUE"), std::string::npos);
    EXPECT_NE(text.out.find("Digital Signature"), std::string::npos);
    EXPECT_EQ(text.out.find("Extended Key Usage"), std::string::npos);

    // Self-signed and usable as its own trust anchor, even under strict X.509 checks.
    auto verify = RunOpenSsl(dir->path(), {"verify", "-x509_strict", "-CAfile", "c.pem", "c.pem"});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;

    // The PEM private key is the key of the certificate, according to openssl too.
    Write(dir->path() / "k.pem", key->private_key_pem);
    auto pub_from_key = RunOpenSsl(dir->path(), {"pkey", "-in", "k.pem", "-pubout"});
    auto pub_from_cert = RunOpenSsl(dir->path(), {"x509", "-in", "c.pem", "-noout", "-pubkey"});
    EXPECT_EQ(pub_from_key.out, pub_from_cert.out);
    EXPECT_EQ(pub_from_key.out, PublicKeyPem(PublicKeyOf(key->key)));
  }
  EXPECT_EQ(CertificateSubject(FreshRsa().certificate), "CN=kiln");
  EXPECT_TRUE(EVP_PKEY_is_a(FreshRsa().key.native(), "RSA"));
  EXPECT_EQ(EVP_PKEY_get_bits(FreshRsa().key.native()), 3072);
  EXPECT_TRUE(EVP_PKEY_is_a(FreshEc().key.native(), "EC"));
  EXPECT_EQ(EVP_PKEY_get_bits(FreshEc().key.native()), 256);
  EXPECT_NE(FreshRsa().private_key_pem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  EXPECT_NE(CertificateFingerprintSha256(FreshRsa().certificate),
            CertificateFingerprintSha256(testkeys::RsaKey().certificate));
}

}  // namespace
}  // namespace kiln::signing
