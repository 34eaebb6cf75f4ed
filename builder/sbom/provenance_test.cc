#include "builder/sbom/provenance.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "builder/common/files.h"
#include "builder/common/subprocess.h"
#include "signing/base64.h"
#include "signing/dsse.h"

namespace kiln::sbom {
namespace {

using nlohmann::json;

ProcessSpec Argv(std::vector<std::string> argv) {
  ProcessSpec s;
  s.argv = std::move(argv);
  return s;
}

manifest::BuildManifest SampleManifest() {
  manifest::BuildManifest m;
  m.kiln_version = "0.1.0";
  m.image_name = "demo";
  m.image_version = "1.0";
  m.architecture = "x86-64";
  m.recipe = "recipe.toml";
  m.recipe_sha256 = std::string(64, '1');
  m.seed = std::string(32, 'a');
  m.inputs = {{"tarball", "https://example.com/base.tar.gz", std::string(64, '2')},
              {"overlay", "overlay", std::string(64, '3')}};
  m.artifacts = {{"demo_1.0.raw", 100, std::string(64, '4')}, {"demo_1.0.root.squashfs", 50, std::string(64, '5')}};
  return m;
}

TEST(ProvenanceTest, StatementShape) {
  manifest::BuildManifest m = SampleManifest();
  auto st = MakeProvenanceStatement(m, std::string(64, '6'));
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  json j = json::parse(*st);
  EXPECT_EQ(j["_type"], "https://in-toto.io/Statement/v1");
  EXPECT_EQ(j["predicateType"], "https://slsa.dev/provenance/v1");
  ASSERT_EQ(j["subject"].size(), m.artifacts.size());
  for (std::size_t i = 0; i < m.artifacts.size(); ++i) {
    EXPECT_EQ(j["subject"][i]["name"], m.artifacts[i].name);
    EXPECT_EQ(j["subject"][i]["digest"]["sha256"], m.artifacts[i].sha256);
  }
  auto& bd = j["predicate"]["buildDefinition"];
  EXPECT_EQ(bd["buildType"], "https://kiln.dev/build/v1");
  EXPECT_EQ(bd["externalParameters"]["recipe"]["name"], "recipe.toml");
  EXPECT_EQ(bd["externalParameters"]["recipe"]["digest"]["sha256"], std::string(64, '1'));
  EXPECT_EQ(bd["externalParameters"]["lock"]["digest"]["sha256"], std::string(64, '6'));
  ASSERT_EQ(bd["resolvedDependencies"].size(), 2u);
  EXPECT_EQ(bd["resolvedDependencies"][0]["uri"], "https://example.com/base.tar.gz");
  EXPECT_EQ(bd["resolvedDependencies"][0]["digest"]["sha256"], std::string(64, '2'));
  EXPECT_EQ(j["predicate"]["runDetails"]["builder"]["id"], "https://kiln.dev/kiln@0.1.0");
  EXPECT_FALSE(j["predicate"]["runDetails"].contains("metadata"));  // no times by default

  // Deterministic; no lock -> no lock parameter; times only when asked.
  EXPECT_EQ(*st, *MakeProvenanceStatement(m, std::string(64, '6')));
  json nolock = json::parse(*MakeProvenanceStatement(m, ""));
  EXPECT_FALSE(nolock["predicate"]["buildDefinition"]["externalParameters"].contains("lock"));
  json timed = json::parse(*MakeProvenanceStatement(m, "", ProvenanceTimes{0, 60}));
  EXPECT_EQ(timed["predicate"]["runDetails"]["metadata"]["startedOn"], "1970-01-01T00:00:00Z");
  EXPECT_EQ(timed["predicate"]["runDetails"]["metadata"]["finishedOn"], "1970-01-01T00:01:00Z");
}

TEST(ProvenanceTest, RejectsBadDigests) {
  manifest::BuildManifest m = SampleManifest();
  m.artifacts[1].sha256 = "xyz";
  auto st = MakeProvenanceStatement(m, "");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kInput);
  EXPECT_NE(st.error().message.find("demo_1.0.root.squashfs"), std::string::npos);
  m.artifacts.clear();
  EXPECT_FALSE(MakeProvenanceStatement(m, "").ok());
}

TEST(ProvenanceTest, DsseVerifiesWithOpenssl) {
  auto openssl = FindProgram("openssl");
  if (openssl.empty()) GTEST_SKIP() << "openssl not installed";
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  auto p = dir->path();
  ASSERT_TRUE(RunChecked(Argv({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                           (p / "k.pem").string()})).ok());
  ASSERT_TRUE(RunChecked(Argv({"openssl", "pkey", "-in", (p / "k.pem").string(), "-pubout", "-out",
                           (p / "pub.pem").string()})).ok());
  auto key = signing::LoadPrivateKey((p / "k.pem").string());
  ASSERT_TRUE(key.ok()) << key.error().ToString();

  std::string st = *MakeProvenanceStatement(SampleManifest(), "");
  auto env = SignProvenance(st, *key, "kiln");
  ASSERT_TRUE(env.ok()) << env.error().ToString();
  json j = json::parse(*env);
  EXPECT_EQ(j["payloadType"], "application/vnd.in-toto+json");
  EXPECT_EQ(*signing::Base64Decode(j["payload"].get<std::string>()), st);
  EXPECT_EQ(j["signatures"][0]["keyid"], "kiln");

  ASSERT_TRUE(WriteFile(p / "pae", signing::DssePae(signing::kInTotoPayloadType, st)).ok());
  ASSERT_TRUE(WriteFile(p / "sig", *signing::Base64Decode(j["signatures"][0]["sig"].get<std::string>())).ok());
  auto ok = RunProcess(Argv({"openssl", "dgst", "-sha256", "-verify", (p / "pub.pem").string(), "-signature",
                         (p / "sig").string(), (p / "pae").string()}));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->exit_code, 0) << ok->out << ok->err;
  // A different payload must not verify.
  ASSERT_TRUE(WriteFile(p / "pae", signing::DssePae(signing::kInTotoPayloadType, st + " ")).ok());
  auto bad = RunProcess(Argv({"openssl", "dgst", "-sha256", "-verify", (p / "pub.pem").string(), "-signature",
                          (p / "sig").string(), (p / "pae").string()}));
  ASSERT_TRUE(bad.ok());
  EXPECT_NE(bad->exit_code, 0);
}

}  // namespace
}  // namespace kiln::sbom
