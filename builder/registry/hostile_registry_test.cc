// A registry is untrusted: hostile realms, references, descriptors, blob sizes and malformed
// JSON give clean errors (never an abort, a local file's content or a fetch by tag), and a pull
// never destroys files it did not write. Only the in-memory registry on 127.0.0.1 is contacted.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/oci/image_config.h"
#include "builder/registry/artifact.h"
#include "builder/registry/cosign.h"
#include "builder/registry/disk_artifact.h"
#include "builder/registry/distribution.h"
#include "builder/registry/fake_registry.h"
#include "builder/registry/pull.h"
#include "builder/registry/pull_target.h"
#include "builder/registry/push.h"
#include "builder/registry/reference.h"
#include "signing/key_generation.h"

namespace kiln::registry {
namespace {

using nlohmann::json;
using testing::FakeRegistry;
namespace fs = std::filesystem;

PullOptions Fast() {
  PullOptions o;
  o.insecure = true;
  o.retry_delay = std::chrono::milliseconds(1);
  o.auth_file = "/nonexistent/auth.json";
  return o;
}

std::string Put(FakeRegistry& reg, const std::string& blob) {
  std::string d = DigestOf(blob);
  reg.blobs[d] = blob;
  return d;
}

json Desc(const std::string& media_type, const std::string& blob) {
  return {{"mediaType", media_type}, {"digest", DigestOf(blob)}, {"size", blob.size()}};
}

// An image manifest with one config and one layer, both served.
std::string ImageManifest(FakeRegistry& reg) {
  std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
  std::string layer = "layer bytes";
  Put(reg, config);
  Put(reg, layer);
  return json{{"schemaVersion", 2},
              {"mediaType", oci::kMediaTypeManifest},
              {"config", Desc(oci::kMediaTypeConfig, config)},
              {"layers", json::array({Desc("application/vnd.oci.image.layer.v1.tar+gzip", layer)})}}
      .dump();
}

Result<PullResult> Pull(FakeRegistry& reg, const std::string& tag, const fs::path& dir, bool force = false) {
  PullOptions o = Fast();
  o.force = force;
  return PullLayout(ParseReference(reg.Host() + "/app:" + tag).value(), dir, o);
}

// Nothing but `keep` is left in dir (no staging directories of a failed pull).
void ExpectOnly(const fs::path& dir, std::set<std::string> keep) {
  std::set<std::string> found;
  for (const auto& e : fs::directory_iterator(dir)) found.insert(e.path().filename().string());
  EXPECT_EQ(found, keep);
}

TEST(HostileRegistryTest, FileRealmIsRefusedAndNeverRead) {
  FakeRegistry reg;
  auto tmp = TempDir::Create().value();
  ASSERT_TRUE(WriteFile(tmp.path() / "secret.key", "PRIVATE-KEY-MATERIAL").ok());
  reg.bearer_token = "tok";
  reg.token_realm = "file://" + (tmp.path() / "secret.key").string();
  reg.manifests["1"] = ImageManifest(reg);
  auto r = Pull(reg, "1", tmp.path() / "out");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kAuth);
  std::string msg = r.error().ToString();
  EXPECT_NE(msg.find("token realm"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("PRIVATE-KEY-MATERIAL"), std::string::npos) << msg;

  reg.token_realm = "http://203.0.113.9/token";  // plain http off loopback: refused before any request
  auto http = Pull(reg, "1", tmp.path() / "out");
  ASSERT_FALSE(http.ok());
  EXPECT_NE(http.error().ToString().find("plain http"), std::string::npos) << http.error().ToString();
  ExpectOnly(tmp.path(), {"secret.key"});
}

TEST(HostileRegistryTest, ReferencesAreParsedStrictly) {
  auto userinfo = ParseReference("127.0.0.1:1@other.example:5056/app:1");
  ASSERT_FALSE(userinfo.ok());
  EXPECT_EQ(userinfo.error().code, ErrorCode::kUsage);
  EXPECT_NE(userinfo.error().message.find("user name"), std::string::npos);
  EXPECT_FALSE(IsLoopbackRegistry("127.0.0.1:1@other.example:5056"));
  EXPECT_FALSE(IsLoopbackRegistry("127.evil.example"));
  EXPECT_FALSE(IsLoopbackRegistry("127.0.0.1.evil.example:80"));
  for (const char* bad : {"h:0/app", "h:65536/app", "h:/app", "h:x/app", "-h/app", "h_1/app", "[zz]/app",
                          "[::1/app", "300.1.1.1/app", "h:5000:1/app", "a..b/app"})
    EXPECT_FALSE(ParseReference(bad).ok()) << bad;
  auto v6 = ParseReference("[::1]:5000/app:1");
  ASSERT_TRUE(v6.ok()) << v6.error().ToString();
  EXPECT_TRUE(IsLoopbackRegistry(v6->registry));
  EXPECT_TRUE(IsLoopbackRegistry("localhost:5000"));
  EXPECT_TRUE(IsLoopbackRegistry("127.1.2.3"));
  EXPECT_TRUE(ParseReference("Registry-1.example.com:443/team/app:v1").ok());
}

TEST(HostileRegistryTest, IndexChildThatIsNotADigestIsNotFetchedAsATag) {
  FakeRegistry reg;
  reg.manifests["latest"] = ImageManifest(reg);
  json index{{"schemaVersion", 2},
             {"mediaType", oci::kMediaTypeIndex},
             {"manifests", json::array({{{"mediaType", oci::kMediaTypeManifest}, {"digest", "latest"}, {"size", 10}}})}};
  reg.manifests["idx"] = index.dump();
  auto tmp = TempDir::Create().value();
  auto r = Pull(reg, "idx", tmp.path() / "out");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIntegrity);
  EXPECT_NE(r.error().ToString().find("is not sha256"), std::string::npos) << r.error().ToString();
  EXPECT_EQ(reg.requests_of("GET"), 1);  // the index only
  ExpectOnly(tmp.path(), {});
}

TEST(HostileRegistryTest, OversizedBlobIsCutOffWhileStreaming) {
  FakeRegistry reg;
  std::string big(4 << 20, 'x');
  std::string layer_digest = Put(reg, big);
  std::string config = "{}";
  Put(reg, config);
  reg.manifests["1"] = json{{"schemaVersion", 2},
                            {"mediaType", oci::kMediaTypeManifest},
                            {"config", Desc(oci::kMediaTypeConfig, config)},
                            {"layers", json::array({{{"mediaType", "application/octet-stream"},
                                                     {"digest", layer_digest},
                                                     {"size", 16}}})}}
                           .dump();
  auto tmp = TempDir::Create().value();
  auto r = Pull(reg, "1", tmp.path() / "out");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIntegrity);
  EXPECT_NE(r.error().ToString().find("larger than its declared 16 bytes"), std::string::npos) << r.error().ToString();
  ExpectOnly(tmp.path(), {});
}

TEST(HostileRegistryTest, MalformedManifestsGiveCleanErrors) {
  FakeRegistry reg;
  reg.manifests["config"] = R"({"schemaVersion":2,"config":"oops","layers":[]})";
  reg.manifests["children"] = R"({"schemaVersion":2,"manifests":[7]})";
  reg.manifests["layers"] = R"({"schemaVersion":2,"config":{"digest":"sha256:)" + std::string(64, 'a') +
                            R"(","size":"2"},"layers":[]})";
  reg.manifests["notarray"] = R"({"schemaVersion":2,"manifests":{"a":1}})";
  auto tmp = TempDir::Create().value();
  for (const char* tag : {"config", "children", "layers", "notarray"}) {
    auto r = Pull(reg, tag, tmp.path() / "out");
    ASSERT_FALSE(r.ok()) << tag;
    EXPECT_EQ(r.error().code, ErrorCode::kIntegrity) << tag << ": " << r.error().ToString();
  }
  ExpectOnly(tmp.path(), {});
}

TEST(HostileRegistryTest, NumericTitleInADiskArtifactGivesACleanError) {
  FakeRegistry reg;
  std::string file = "data";
  Put(reg, "{}");
  json layer = Desc("application/octet-stream", file);
  layer["annotations"] = {{kAnnotationTitle, 42}};
  Put(reg, file);
  reg.manifests["1"] = json{{"schemaVersion", 2},
                            {"mediaType", oci::kMediaTypeManifest},
                            {"artifactType", kDiskImageArtifactType},
                            {"config", Desc(kMediaTypeEmpty, "{}")},
                            {"layers", json::array({layer})}}
                           .dump();
  auto tmp = TempDir::Create().value();
  auto r = PullDiskImage(ParseReference(reg.Host() + "/vm:1").value(), tmp.path() / "vm", Fast());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIntegrity);
  EXPECT_NE(r.error().ToString().find("title"), std::string::npos) << r.error().ToString();
  ExpectOnly(tmp.path(), {});
}

TEST(HostileRegistryTest, CosignLayerThatIsNotAnObjectGivesACleanError) {
  FakeRegistry reg;
  std::string manifest = ImageManifest(reg);
  reg.manifests["1"] = manifest;
  reg.manifests[CosignSignatureTag(DigestOf(manifest))] = R"({"schemaVersion":2,"layers":["x",7,null]})";
  auto key = signing::GenerateKey(signing::KeyAlgorithm::kEcP256, "t", 1).value();
  auto r = VerifyCosignSignature(ParseReference(reg.Host() + "/app:1").value(), signing::PublicKeyOf(key.key), Fast());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIntegrity);
}

TEST(PullTargetTest, RefusesADirectoryWithUserFilesAndLeavesThemIntact) {
  FakeRegistry reg;
  reg.manifests["1"] = ImageManifest(reg);
  auto tmp = TempDir::Create().value();
  const fs::path vm = tmp.path() / "vm";
  fs::create_directories(vm / "notes");
  ASSERT_TRUE(WriteFile(vm / "thesis.tex", "years of work").ok());
  ASSERT_TRUE(WriteFile(vm / "notes" / "a", "a").ok());
  for (bool force : {false, true}) {
    auto r = Pull(reg, "1", vm, force);
    ASSERT_FALSE(r.ok()) << force;
    EXPECT_EQ(r.error().code, ErrorCode::kUsage);
    EXPECT_NE(r.error().ToString().find(force ? "kiln did not pull there" : "--force"), std::string::npos)
        << r.error().ToString();
  }
  EXPECT_EQ(ReadFile(vm / "thesis.tex").value(), "years of work");
  EXPECT_EQ(ReadFile(vm / "notes" / "a").value(), "a");
  ExpectOnly(tmp.path(), {"vm"});
  EXPECT_EQ(reg.requests_of("GET"), 0);  // refused before anything was fetched

  // The same for a disk image pull, which never mixes its files into a user's directory.
  auto d = PullDiskImage(ParseReference(reg.Host() + "/vm:1").value(), vm, Fast());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(ReadFile(vm / "thesis.tex").value(), "years of work");
}

TEST(PullTargetTest, ForceReplacesOnlyAnEarlierPull) {
  FakeRegistry reg;
  reg.manifests["1"] = ImageManifest(reg);
  auto tmp = TempDir::Create().value();
  const fs::path out = tmp.path() / "out";
  ASSERT_TRUE(Pull(reg, "1", out).ok());
  auto again = Pull(reg, "1", out);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kUsage);
  auto forced = Pull(reg, "1", out, true);
  ASSERT_TRUE(forced.ok()) << forced.error().ToString();
  EXPECT_TRUE(fs::exists(out / "oci-layout"));
  ExpectOnly(tmp.path(), {"out"});
  // A user's file inside the layout makes it someone else's directory again.
  ASSERT_TRUE(WriteFile(out / "blobs" / "sha256" / "mine.txt", "x").ok());
  EXPECT_FALSE(Pull(reg, "1", out, true).ok());
  EXPECT_TRUE(fs::exists(out / "blobs" / "sha256" / "mine.txt"));
  // An empty directory is fine without --force.
  fs::create_directories(tmp.path() / "empty");
  EXPECT_TRUE(Pull(reg, "1", tmp.path() / "empty").ok());
}

}  // namespace
}  // namespace kiln::registry
