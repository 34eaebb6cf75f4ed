#include "signing/dsse.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "signing/base64.h"
#include "signing/message_signature.h"
#include "signing/testing_keys.h"

namespace kiln::signing {
namespace {

using testkeys::RunOpenSsl;
using testkeys::Write;

constexpr std::string_view kStatement = R"({"_type":"https://in-toto.io/Statement/v1","subject":[]})";

TEST(DsseTest, PaeMatchesTheSpecExample) {
  // Example from the DSSE protocol document.
  EXPECT_EQ(DssePae("http://example.com/HelloWorld", "hello world"),
            "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  EXPECT_EQ(DssePae("", ""), "DSSEv1 0  0 ");
  // Lengths count bytes, not characters.
  EXPECT_EQ(DssePae("t", "\xc3\xa9"), "DSSEv1 1 t 2 \xc3\xa9");
}

TEST(DsseTest, EnvelopeShapeAndRoundTrip) {
  const GeneratedKey& key = testkeys::RsaKey();
  auto env = MakeDsseEnvelope(kInTotoPayloadType, kStatement, key.key, "kiln-key");
  ASSERT_TRUE(env.ok()) << env.error().ToString();
  EXPECT_EQ(env->rfind(R"({"payloadType":"application/vnd.in-toto+json","payload":")", 0), 0u) << *env;
  EXPECT_NE(env->find(R"("signatures":[{"keyid":"kiln-key","sig":")"), std::string::npos) << *env;
  // Deterministic with RSA.
  EXPECT_EQ(*env, *MakeDsseEnvelope(kInTotoPayloadType, kStatement, key.key, "kiln-key"));

  auto parsed = ParseDsseEnvelope(*env);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->payload_type, kInTotoPayloadType);
  EXPECT_EQ(parsed->payload, kStatement);
  ASSERT_EQ(parsed->signatures.size(), 1u);
  EXPECT_EQ(parsed->signatures[0].keyid, "kiln-key");
  EXPECT_TRUE(VerifyMessage(PublicKeyOf(key.key), DssePae(kInTotoPayloadType, kStatement),
                            parsed->signatures[0].sig).ok());

  EXPECT_TRUE(VerifyDsseEnvelope(*env, PublicKeyOf(key.certificate)).ok());
  auto ec_env = MakeDsseEnvelope(kInTotoPayloadType, kStatement, testkeys::EcKey().key, "");
  ASSERT_TRUE(ec_env.ok());
  EXPECT_TRUE(VerifyDsseEnvelope(*ec_env, PublicKeyOf(testkeys::EcKey().certificate)).ok());
}

TEST(DsseTest, TamperedOrForeignEnvelopesFail) {
  const GeneratedKey& key = testkeys::RsaKey();
  std::string env = *MakeDsseEnvelope(kInTotoPayloadType, kStatement, key.key, "k");
  Status wrong_key = VerifyDsseEnvelope(env, PublicKeyOf(testkeys::OtherRsaKey().key));
  ASSERT_FALSE(wrong_key.ok());
  EXPECT_EQ(wrong_key.error().code, ErrorCode::kIntegrity);

  auto doc = nlohmann::json::parse(env);
  doc["payload"] = Base64Encode(R"({"_type":"https://in-toto.io/Statement/v1","subject":[1]})");
  EXPECT_EQ(VerifyDsseEnvelope(doc.dump(), PublicKeyOf(key.key)).error().code, ErrorCode::kIntegrity);

  doc = nlohmann::json::parse(env);
  doc["payloadType"] = "text/plain";  // the type is signed too (PAE)
  EXPECT_FALSE(VerifyDsseEnvelope(doc.dump(), PublicKeyOf(key.key)).ok());

  for (std::string bad : {std::string("{"), std::string("[]"), std::string(R"({"payloadType":"x"})"),
                          std::string(R"({"payloadType":"x","payload":"!!","signatures":[{"sig":""}]})"),
                          std::string(R"({"payloadType":"x","payload":"","signatures":[]})")}) {
    Status s = VerifyDsseEnvelope(bad, PublicKeyOf(key.key));
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().code, ErrorCode::kInput) << bad;
  }
}

TEST(DsseTest, OpenSslVerifiesTheEnvelopeSignatureOverPae) {
  KILN_REQUIRE_OPENSSL();
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  const GeneratedKey& key = testkeys::EcKey();
  auto env = ParseDsseEnvelope(*MakeDsseEnvelope(kInTotoPayloadType, kStatement, key.key, "k"));
  ASSERT_TRUE(env.ok());
  Write(dir->path() / "pae", DssePae(env->payload_type, env->payload));
  Write(dir->path() / "sig", env->signatures[0].sig);
  Write(dir->path() / "cert.pem", key.certificate_pem);
  auto pub = RunOpenSsl(dir->path(), {"x509", "-in", "cert.pem", "-noout", "-pubkey", "-out", "pub.pem"});
  ASSERT_EQ(pub.exit_code, 0) << pub.err;
  auto r = RunOpenSsl(dir->path(), {"dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig", "pae"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

}  // namespace
}  // namespace kiln::signing
