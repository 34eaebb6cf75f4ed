#include "signing/message_signature.h"

#include <gtest/gtest.h>

#include "signing/testing_keys.h"

namespace kiln::signing {
namespace {

using testkeys::RunOpenSsl;
using testkeys::Write;

constexpr std::string_view kPayload =
    R"({"critical":{"identity":{"docker-reference":"127.0.0.1:5000/app"},"image":{"docker-manifest-digest":"sha256:0000"},"type":"cosign container image signature"},"optional":null})";

TEST(MessageSignatureTest, OpenSslDgstAcceptsSignatures) {
  KILN_REQUIRE_OPENSSL();
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  Write(dir->path() / "msg", kPayload);
  for (const GeneratedKey* key : {&testkeys::RsaKey(), &testkeys::EcKey()}) {
    auto sig = SignMessage(key->key, kPayload);
    ASSERT_TRUE(sig.ok()) << sig.error().ToString();
    Write(dir->path() / "sig", *sig);
    Write(dir->path() / "pub.pem", PublicKeyPem(PublicKeyOf(key->key)));
    auto r = RunOpenSsl(dir->path(), {"dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig", "msg"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("Verified OK"), std::string::npos) << r.out;

    // And the reverse: what openssl signs, VerifyMessage accepts.
    Write(dir->path() / "k.pem", key->private_key_pem);
    auto s = RunOpenSsl(dir->path(), {"dgst", "-sha256", "-sign", "k.pem", "-out", "osig", "msg"});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    EXPECT_TRUE(VerifyMessage(PublicKeyOf(key->certificate), kPayload, *ReadFile(dir->path() / "osig")).ok());
  }
}

TEST(MessageSignatureTest, RsaIsDeterministicEcIsNot) {
  EXPECT_EQ(*SignMessage(testkeys::RsaKey().key, kPayload), *SignMessage(testkeys::RsaKey().key, kPayload));
  EXPECT_EQ(SignMessage(testkeys::RsaKey().key, kPayload)->size(), 384u);
  auto ec = SignMessage(testkeys::EcKey().key, kPayload);
  ASSERT_TRUE(ec.ok());
  EXPECT_EQ(static_cast<unsigned char>((*ec)[0]), 0x30u);  // DER SEQUENCE
}

TEST(MessageSignatureTest, RejectsTamperingAndWrongKeys) {
  for (const GeneratedKey* key : {&testkeys::RsaKey(), &testkeys::EcKey()}) {
    PublicKey pub = PublicKeyOf(key->certificate);
    std::string sig = *SignMessage(key->key, kPayload);
    EXPECT_TRUE(VerifyMessage(pub, kPayload, sig).ok());
    std::string msg(kPayload);
    msg.back() = ' ';
    Status s = VerifyMessage(pub, msg, sig);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::kIntegrity);
    std::string bad = sig;
    bad[bad.size() / 2] ^= 0x04;
    EXPECT_FALSE(VerifyMessage(pub, kPayload, bad).ok());
    EXPECT_FALSE(VerifyMessage(pub, kPayload, "").ok());
  }
  std::string sig = *SignMessage(testkeys::RsaKey().key, kPayload);
  EXPECT_FALSE(VerifyMessage(PublicKeyOf(testkeys::OtherRsaKey().key), kPayload, sig).ok());
  EXPECT_FALSE(VerifyMessage(PublicKeyOf(testkeys::EcKey().key), kPayload, sig).ok());
}

}  // namespace
}  // namespace kiln::signing
