#include "signing/keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>

#include "signing/testing_keys.h"

namespace kiln::signing {
namespace {

using testkeys::RunOpenSsl;
using testkeys::Write;

class KeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::Create();
    ASSERT_TRUE(d.ok());
    dir_ = std::move(*d);
    Write(path("rsa.key"), testkeys::RsaKey().private_key_pem);
    Write(path("rsa.crt"), testkeys::RsaKey().certificate_pem);
    Write(path("ec.key"), testkeys::EcKey().private_key_pem);
  }
  std::string path(const std::string& name) const { return (dir_.path() / name).string(); }
  TempDir dir_;
};

TEST_F(KeysTest, LoadsPemKeyAndCertificate) {
  auto key = LoadPrivateKey(path("rsa.key"));
  ASSERT_TRUE(key.ok()) << key.error().ToString();
  auto cert = LoadCertificate(path("rsa.crt"));
  ASSERT_TRUE(cert.ok()) << cert.error().ToString();
  EXPECT_TRUE(KeyMatchesCertificate(*key, *cert));
  EXPECT_EQ(CertificatePem(*cert), testkeys::RsaKey().certificate_pem);
  EXPECT_EQ(CertificateSubject(*cert), "CN=kiln");
}

TEST_F(KeysTest, LoadsKeyThroughOsslStoreFileUri) {
  auto key = LoadPrivateKey("file:" + path("ec.key"));
  ASSERT_TRUE(key.ok()) << key.error().ToString();
  EXPECT_TRUE(KeyMatchesCertificate(*key, testkeys::EcKey().certificate));
}

TEST_F(KeysTest, UnknownUriSchemeIsAClearError) {
  auto key = LoadPrivateKey("nosuchscheme:object=kiln");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().code, ErrorCode::kInput);
  EXPECT_NE(key.error().message.find("nosuchscheme:object=kiln"), std::string::npos);
}

TEST_F(KeysTest, UriPinNeverAppearsInErrors) {
  auto key = LoadPrivateKey("nosuchscheme:token=t;pin-value=123456;object=k");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().ToString().find("123456"), std::string::npos) << key.error().ToString();
  EXPECT_NE(key.error().ToString().find("pin-value=***;object=k"), std::string::npos);
}

TEST_F(KeysTest, DetectsMismatchedKeyAndCertificate) {
  EXPECT_TRUE(KeyMatchesCertificate(testkeys::RsaKey().key, testkeys::RsaKey().certificate));
  EXPECT_FALSE(KeyMatchesCertificate(testkeys::RsaKey().key, testkeys::OtherRsaKey().certificate));
  EXPECT_FALSE(KeyMatchesCertificate(testkeys::EcKey().key, testkeys::RsaKey().certificate));
  EXPECT_TRUE(KeyMatchesCertificate(PublicKeyOf(testkeys::EcKey().certificate), testkeys::EcKey().certificate));
}

TEST_F(KeysTest, LoadsDerFilesMadeByOpenSsl) {
  KILN_REQUIRE_OPENSSL();
  ASSERT_EQ(RunOpenSsl(dir_.path(), {"x509", "-in", "rsa.crt", "-outform", "DER", "-out", "rsa.der"}).exit_code, 0);
  ASSERT_EQ(RunOpenSsl(dir_.path(), {"pkey", "-in", "ec.key", "-outform", "DER", "-out", "ec.key.der"}).exit_code, 0);
  ASSERT_EQ(RunOpenSsl(dir_.path(), {"pkey", "-in", "ec.key", "-pubout", "-out", "ec.pub"}).exit_code, 0);
  ASSERT_EQ(RunOpenSsl(dir_.path(), {"pkey", "-in", "ec.key", "-pubout", "-outform", "DER", "-out", "ec.pub.der"}).exit_code, 0);

  auto cert = LoadCertificate(path("rsa.der"));
  ASSERT_TRUE(cert.ok()) << cert.error().ToString();
  EXPECT_EQ(CertificateFingerprintSha256(*cert), CertificateFingerprintSha256(testkeys::RsaKey().certificate));
  EXPECT_EQ(CertificateDer(*cert), *ReadFile(path("rsa.der")));

  auto key = LoadPrivateKey(path("ec.key.der"));
  ASSERT_TRUE(key.ok()) << key.error().ToString();
  EXPECT_TRUE(KeyMatchesCertificate(*key, testkeys::EcKey().certificate));

  for (const char* name : {"ec.pub", "ec.pub.der"}) {
    auto pub = LoadPublicKey(path(name));
    ASSERT_TRUE(pub.ok()) << name << ": " << pub.error().ToString();
    EXPECT_TRUE(KeyMatchesCertificate(*pub, testkeys::EcKey().certificate)) << name;
  }
  for (const char* name : {"rsa.crt", "rsa.der"}) {
    auto pub = LoadPublicKey(path(name));
    ASSERT_TRUE(pub.ok()) << name << ": " << pub.error().ToString();
    EXPECT_TRUE(KeyMatchesCertificate(*pub, testkeys::RsaKey().certificate)) << name;
  }
}

TEST_F(KeysTest, EncryptedKeyIsRefusedWithoutPromptingOrLeakingKeyBytes) {
  KILN_REQUIRE_OPENSSL();
  ASSERT_EQ(RunOpenSsl(dir_.path(), {"pkey", "-in", "ec.key", "-aes256", "-passout", "pass:secret",
                                     "-out", "enc.key"}).exit_code, 0);
  auto key = LoadPrivateKey(path("enc.key"));
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().code, ErrorCode::kInput);
  std::string msg = key.error().ToString();
  EXPECT_NE(msg.find("encrypted"), std::string::npos) << msg;
  EXPECT_NE(msg.find("enc.key"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("BEGIN"), std::string::npos) << msg;
}

TEST_F(KeysTest, ErrorsNameTheFileAndNeverQuoteKeyMaterial) {
  auto missing = LoadPrivateKey(path("missing.key"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().ToString().find("missing.key"), std::string::npos);

  // A certificate is not a private key: the message must not echo the file's content.
  auto wrong = LoadPrivateKey(path("rsa.crt"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().ToString().find("rsa.crt"), std::string::npos);
  EXPECT_EQ(wrong.error().ToString().find("MII"), std::string::npos);

  Write(path("junk"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  auto junk = LoadPrivateKey(path("junk"));
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.error().ToString().find("AAAA"), std::string::npos);

  auto not_cert = LoadCertificate(path("rsa.key"));
  ASSERT_FALSE(not_cert.ok());
  EXPECT_NE(not_cert.error().ToString().find("rsa.key"), std::string::npos);
  EXPECT_EQ(not_cert.error().ToString().find("MII"), std::string::npos);
  EXPECT_FALSE(LoadPublicKey(path("junk")).ok());
}

// Issue 14: like ssh, a key file group or others can read or write is refused with the fix.
TEST_F(KeysTest, KeyFileOpenToOthersIsRefusedLikeSsh) {
  for (unsigned mode : {0644u, 0640u, 0604u, 0620u, 0602u}) {
    ASSERT_EQ(::chmod(path("rsa.key").c_str(), mode), 0);
    auto key = LoadPrivateKey(path("rsa.key"));
    ASSERT_FALSE(key.ok()) << std::oct << mode;
    EXPECT_EQ(key.error().code, ErrorCode::kUsage);
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", mode);
    EXPECT_EQ(key.error().message, std::string("permissions ") + octal + " for '" + path("rsa.key") +
                                       "' are too open; run chmod 600 " + path("rsa.key"));
  }
  for (unsigned mode : {0600u, 0400u}) {
    ASSERT_EQ(::chmod(path("rsa.key").c_str(), mode), 0);
    EXPECT_TRUE(LoadPrivateKey(path("rsa.key")).ok()) << std::oct << mode;
  }
  // Only key files: certificates are public.
  ASSERT_EQ(::chmod(path("rsa.crt").c_str(), 0644), 0);
  EXPECT_TRUE(LoadCertificate(path("rsa.crt")).ok());
}

TEST_F(KeysTest, CopiesShareTheKey) {
  PrivateKey a = testkeys::RsaKey().key;
  PrivateKey b = a;
  Certificate c = testkeys::RsaKey().certificate;
  Certificate d = c;
  d = testkeys::EcKey().certificate;
  EXPECT_EQ(a.native(), b.native());
  EXPECT_TRUE(KeyMatchesCertificate(b, c));
  EXPECT_TRUE(KeyMatchesCertificate(testkeys::EcKey().key, d));
}

}  // namespace
}  // namespace kiln::signing
