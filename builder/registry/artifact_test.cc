// Disk image artifacts, SBOM referrers and build cache entries against the in-memory registry.
#include <gtest/gtest.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "builder/artifacts/artifacts.h"
#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/manifest/build_manifest.h"
#include "builder/registry/artifact.h"
#include "builder/registry/disk_artifact.h"
#include "builder/registry/distribution.h"
#include "builder/registry/fake_registry.h"
#include "builder/registry/referrers.h"

namespace kiln::registry {
namespace {

using nlohmann::json;
using testing::FakeRegistry;
namespace fs = std::filesystem;

PushOptions Fast() {
  PushOptions o;
  o.insecure = true;
  o.retry_delay = std::chrono::milliseconds(1);
  o.auth_file = "/nonexistent/auth.json";
  return o;
}

// A build output directory the way the pipeline writes it (small stand-in files).
void MakeOutput(const fs::path& dir) {
  fs::create_directories(dir / "app_1.0.oci");
  std::vector<manifest::ArtifactEntry> sums;
  for (auto [name, content] : {std::pair{"app_1.0.root.squashfs", "squash"}, {"app_1.0.root.verity", "verity"},
                               {"app_1.0.root.roothash", "abcd\n"}, {"app_1.0.spdx.json", "{\"spdx\":1}"}}) {
    ASSERT_TRUE(WriteFile(dir / name, content).ok());
    sums.push_back({name, std::string(content).size(), ToHex(Sha256Of(content))});
  }
  manifest::BuildManifest m;
  m.image_name = "app";
  m.image_version = "1.0";
  m.architecture = "x86-64";
  m.root_hash = "abcd";
  std::string mj = manifest::ToJson(m);
  ASSERT_TRUE(WriteFile(dir / "app_1.0.manifest.json", mj).ok());
  sums.push_back({"app_1.0.manifest.json", mj.size(), ToHex(Sha256Of(mj))});
  sums.push_back({"app_1.0.oci/index.json", 2, ToHex(Sha256Of("{}"))});  // a layout beside it: not pushed
  ASSERT_TRUE(WriteFile(dir / "app_1.0.oci" / "index.json", "{}").ok());
  ASSERT_TRUE(WriteFile(dir / "SHA256SUMS", manifest::FormatSha256Sums(sums)).ok());
}

TEST(ArtifactTest, TitlesMustBePlainFileNames) {
  for (std::string bad : {"", ".", "..", "../x", "a/b", ".hidden", "a..b", "a\nb"})
    EXPECT_EQ(CheckTitle(bad).error().code, ErrorCode::kIntegrity) << bad;
  EXPECT_TRUE(CheckTitle("app_1.0.root.squashfs").ok());
}

TEST(DiskArtifactTest, PushPullRoundTripByTitle) {
  FakeRegistry reg;
  auto dir = TempDir::Create().value();
  MakeOutput(dir.path() / "out");
  auto ref = ParseReference(reg.Host() + "/vm").value();
  auto pushed = PushDiskImage(dir.path() / "out", ref, Fast()).value();
  EXPECT_EQ(pushed.tag, "1.0");
  json m = json::parse(reg.manifests["1.0"]);
  EXPECT_EQ(m["artifactType"], kDiskImageArtifactType);
  EXPECT_EQ(m["config"]["mediaType"], kDiskImageArtifactType);
  std::vector<std::string> titles;
  for (auto& l : m["layers"]) titles.push_back(l["annotations"][kAnnotationTitle]);
  EXPECT_EQ(titles, (std::vector<std::string>{"SHA256SUMS", "app_1.0.manifest.json", "app_1.0.root.roothash",
                                              "app_1.0.root.squashfs", "app_1.0.root.verity", "app_1.0.spdx.json"}));
  EXPECT_EQ(json::parse(reg.blobs[m["config"]["digest"]])["rootHash"], "abcd");

  auto pulled = PullDiskImage(ParseReference(reg.Host() + "/vm:1.0").value(), dir.path() / "in", {Fast(), {}}).value();
  EXPECT_EQ(pulled.manifest_digest, pushed.manifest_digest);
  for (const auto& t : titles)
    EXPECT_EQ(ReadFile(dir.path() / "in" / t).value(), ReadFile(dir.path() / "out" / t).value()) << t;
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path() / "in"), fs::directory_iterator()), 6);
  EXPECT_EQ(RemoteArtifactType(ParseReference(reg.Host() + "/vm:1.0").value(), Fast()).value(),
            kDiskImageArtifactType);
}

TEST(DiskArtifactTest, RefusesTamperedFilesAndUnsafeTitles) {
  FakeRegistry reg;
  auto dir = TempDir::Create().value();
  MakeOutput(dir.path() / "out");
  ASSERT_TRUE(WriteFile(dir.path() / "out" / "app_1.0.root.verity", "changed").ok());
  auto ref = ParseReference(reg.Host() + "/vm").value();
  EXPECT_EQ(PushDiskImage(dir.path() / "out", ref, Fast()).error().code, ErrorCode::kIntegrity);

  // A registry that names a layer "../evil": nothing is written anywhere.
  std::string blob = "evil";
  reg.blobs[DigestOf(blob)] = blob;
  reg.blobs[DigestOf("{}")] = "{}";
  ArtifactSpec spec;
  spec.artifact_type = kDiskImageArtifactType;
  spec.files.push_back({"../evil", "text/plain", {}, blob, {}, 0});
  ASSERT_TRUE(DescribeArtifactFiles(spec.files).ok());
  reg.manifests["bad"] = BuildArtifactManifest(spec);
  auto r = PullDiskImage(ParseReference(reg.Host() + "/vm:bad").value(), dir.path() / "in", {Fast(), {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIntegrity);
  EXPECT_FALSE(fs::exists(dir.path() / "evil"));
}

// A disk artifact whose layers are the given (title, content) files.
std::string DiskManifest(FakeRegistry& reg, const std::vector<std::pair<std::string, std::string>>& files) {
  ArtifactSpec spec;
  spec.artifact_type = kDiskImageArtifactType;
  for (const auto& [title, content] : files) {
    reg.blobs[DigestOf(content)] = content;
    spec.files.push_back({title, artifacts::MediaTypeOf(title), {}, content, {}, 0});
  }
  reg.blobs[DigestOf("{}")] = "{}";
  EXPECT_TRUE(DescribeArtifactFiles(spec.files).ok());
  return BuildArtifactManifest(spec);
}

TEST(DiskArtifactTest, SelectsTheOneRawImageAndItsBlockMap) {
  FakeRegistry reg;
  json one = json::parse(DiskManifest(reg, {{"a_1.bmap", "map"}, {"a_1.qcow2", "q"}, {"a_1.raw", "disk"},
                                            {"b.bmap", "other"}}));
  auto sel = SelectRawImage(one, "vm").value();
  EXPECT_EQ(sel.raw.title, "a_1.raw");
  EXPECT_EQ(sel.raw.digest, DigestOf("disk"));
  ASSERT_TRUE(sel.bmap.has_value());
  EXPECT_EQ(sel.bmap->title, "a_1.bmap");
  EXPECT_FALSE(SelectRawImage(json::parse(DiskManifest(reg, {{"a_1.raw", "disk"}})), "vm")->bmap.has_value());
  EXPECT_EQ(SelectRawImage(json::parse(DiskManifest(reg, {{"a.qcow2", "q"}})), "vm").error().code, ErrorCode::kInput);
  EXPECT_EQ(SelectRawImage(json::parse(DiskManifest(reg, {{"a.raw", "1"}, {"b.raw", "2"}})), "vm").error().code,
            ErrorCode::kInput);
  EXPECT_EQ(SelectRawImage(json::parse(DiskManifest(reg, {{".x.raw", "1"}})), "vm").error().code, ErrorCode::kIntegrity);
  EXPECT_EQ(SelectRawImage(json::parse("[]"), "vm").error().code, ErrorCode::kInput);
}

TEST(DiskArtifactTest, FetchRawImageChecksEveryDigest) {
  FakeRegistry reg;
  auto dir = TempDir::Create().value();
  reg.manifests["1"] = DiskManifest(reg, {{"a_1.bmap", "map"}, {"a_1.raw", "disk"}, {"a_1.root.verity", "v"}});
  auto got = FetchRawImage(ParseReference(reg.Host() + "/vm:1").value(), dir.path(), Fast()).value();
  EXPECT_EQ(ReadFile(got.raw).value(), "disk");
  EXPECT_EQ(ReadFile(got.bmap).value(), "map");
  EXPECT_EQ(got.bmap_title, "a_1.bmap");
  EXPECT_FALSE(fs::exists(dir.path() / "a_1.root.verity"));  // only what flash needs

  reg.blobs[DigestOf("disk")] = "dusk";  // tampered in the registry
  auto bad = FetchRawImage(ParseReference(reg.Host() + "/vm:1").value(), dir.path(), Fast());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kIntegrity);
  reg.blobs[DigestOf("disk")] = "disk";
  reg.blobs[DigestOf("map")] = "mop";
  EXPECT_EQ(FetchRawImage(ParseReference(reg.Host() + "/vm:1").value(), dir.path(), Fast()).error().code,
            ErrorCode::kIntegrity);
  reg.manifests["oci"] = R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json"}})";
  EXPECT_EQ(FetchRawImage(ParseReference(reg.Host() + "/vm:oci").value(), dir.path(), Fast()).error().code,
            ErrorCode::kInput);
}

TEST(ReferrersTest, SbomReferrerGoesIntoTheFallbackIndex) {
  FakeRegistry reg;
  auto dir = TempDir::Create().value();
  MakeOutput(dir.path() / "out");
  auto ref = ParseReference(reg.Host() + "/vm").value();
  auto pushed = PushDiskImage(dir.path() / "out", ref, Fast()).value();
  oci::Descriptor subject{pushed.media_type, pushed.manifest_digest, pushed.manifest_size};
  auto sbom = PushSbomReferrer(ref, subject, dir.path() / "out" / "app_1.0.spdx.json", Fast()).value();
  auto again = PushSbomReferrer(ref, subject, dir.path() / "out" / "app_1.0.spdx.json", Fast()).value();
  EXPECT_EQ(again.manifest.digest, sbom.manifest.digest);  // deterministic, listed once
  json referrer = json::parse(reg.manifests[sbom.manifest.digest]);
  EXPECT_EQ(referrer["subject"]["digest"], pushed.manifest_digest);
  EXPECT_EQ(referrer["subject"]["size"], pushed.manifest_size);
  EXPECT_EQ(referrer["config"]["mediaType"], kMediaTypeEmpty);
  json index = json::parse(reg.manifests[ReferrersTag(pushed.manifest_digest)]);
  ASSERT_EQ(index["manifests"].size(), 1u);
  EXPECT_EQ(index["manifests"][0]["artifactType"], kSpdxMediaType);

  auto client = RegistryClient::Create(reg.Host(), Fast()).value();
  auto listed = ListReferrers(client, "vm", pushed.manifest_digest, kSpdxMediaType).value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["digest"], sbom.manifest.digest);
  EXPECT_TRUE(ListReferrers(client, "vm", "sha256:" + std::string(64, '0')).value().empty());
}

}  // namespace
}  // namespace kiln::registry
