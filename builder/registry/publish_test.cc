// Publish: push, SBOM referrer and cosign signature in one step, against the in-memory registry.
#include "builder/registry/publish.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/manifest/build_manifest.h"
#include "builder/registry/cosign.h"
#include "builder/registry/fake_registry.h"
#include "builder/registry/referrers.h"
#include "signing/key_generation.h"

namespace kiln::registry {
namespace {

namespace fs = std::filesystem;
using testing::FakeRegistry;

PushOptions Fast() {
  PushOptions o;
  o.insecure = true;
  o.retry_delay = std::chrono::milliseconds(1);
  o.auth_file = "/nonexistent/auth.json";
  return o;
}

// A small build output directory: split root, SBOM, manifest, SHA256SUMS.
void MakeBuildOutput(const fs::path& dir, bool with_sbom) {
  fs::create_directories(dir);
  std::vector<manifest::ArtifactEntry> sums;
  std::vector<std::pair<std::string, std::string>> files = {{"os_1.root.squashfs", "squash"},
                                                            {"os_1.root.roothash", "ab\n"}};
  if (with_sbom) files.push_back({"os_1.spdx.json", "{\"spdx\":1}"});
  for (auto& [name, content] : files) {
    ASSERT_TRUE(WriteFile(dir / name, content).ok());
    sums.push_back({name, content.size(), ToHex(Sha256Of(content))});
  }
  manifest::BuildManifest m;
  m.image_name = "os";
  m.image_version = "1";
  m.root_hash = "ab";
  const std::string mj = manifest::ToJson(m);
  ASSERT_TRUE(WriteFile(dir / "os_1.manifest.json", mj).ok());
  sums.push_back({"os_1.manifest.json", mj.size(), ToHex(Sha256Of(mj))});
  ASSERT_TRUE(WriteFile(dir / "SHA256SUMS", manifest::FormatSha256Sums(sums)).ok());
}

TEST(SbomFor, BesideALayoutOrNamedAfterTheManifest) {
  TempDir tmp = TempDir::Create().value();
  MakeBuildOutput(tmp.path() / "out", true);
  EXPECT_EQ(SbomFor(tmp.path() / "out", false), tmp.path() / "out" / "os_1.spdx.json");
  fs::create_directories(tmp.path() / "out" / "os_1.oci");
  EXPECT_EQ(SbomFor(tmp.path() / "out" / "os_1.oci/", true), tmp.path() / "out" / "os_1.spdx.json");
  EXPECT_TRUE(SbomFor(tmp.path() / "out" / "other.oci", true).empty());
  EXPECT_TRUE(SbomFor(tmp.path() / "nothing", false).empty());
}

TEST(Publish, PushesSbomReferrerAndSignature) {
  FakeRegistry reg;
  TempDir tmp = TempDir::Create().value();
  MakeBuildOutput(tmp.path() / "out", true);
  auto key = signing::GenerateKey(signing::KeyAlgorithm::kEcP256, "t", 30);
  ASSERT_TRUE(key.ok());
  const signing::PublicKey pub = signing::PublicKeyOf(key->key);
  const Reference ref = ParseReference(reg.Host() + "/os").value();
  auto r = Publish(tmp.path() / "out", ref, std::optional<signing::PrivateKey>(std::move(key->key)), Fast());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->push.tag, "1");
  ASSERT_FALSE(r->sbom_referrer.empty());
  EXPECT_EQ(r->referrers_tag, ReferrersTag(r->push.manifest_digest));
  auto referrer = nlohmann::json::parse(reg.manifests[r->sbom_referrer]);
  EXPECT_EQ(referrer["subject"]["digest"], r->push.manifest_digest);
  EXPECT_EQ(r->signature_tag, CosignSignatureTag(r->push.manifest_digest));
  EXPECT_TRUE(reg.manifests.count(r->signature_tag));
  PullOptions pull;
  pull.insecure = true;
  pull.retry_delay = std::chrono::milliseconds(1);
  pull.auth_file = "/nonexistent/auth.json";
  EXPECT_TRUE(VerifyCosignSignature(ParseReference(reg.Host() + "/os:1").value(), pub, pull).ok());
}

TEST(Publish, WithoutSbomOrKeyPushesOnly) {
  FakeRegistry reg;
  TempDir tmp = TempDir::Create().value();
  MakeBuildOutput(tmp.path() / "out", false);
  auto r = Publish(tmp.path() / "out", ParseReference(reg.Host() + "/os").value(), std::nullopt, Fast());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(r->sbom_referrer.empty());
  EXPECT_TRUE(r->referrers_tag.empty());
  EXPECT_TRUE(r->signature_tag.empty());
  EXPECT_FALSE(reg.manifests.count(ReferrersTag(r->push.manifest_digest)));
}

}  // namespace
}  // namespace kiln::registry
