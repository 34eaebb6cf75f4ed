#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "builder/common/files.h"
#include "builder/oci/image_config.h"
#include "builder/registry/cosign.h"
#include "builder/registry/credentials.h"
#include "builder/registry/fake_registry.h"
#include "builder/registry/pull.h"
#include "builder/registry/push.h"
#include "builder/registry/reference.h"
#include "signing/key_generation.h"

namespace kiln::registry {
namespace {

using testing::FakeRegistry;

// A small layout the way builder/oci writes it: one layer, config, manifest, tagged index.
std::filesystem::path MakeLayout(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir / "blobs" / "sha256");
  oci::LayerBlob layer;
  layer.descriptor = oci::WriteBlob(dir, "application/vnd.oci.image.layer.v1.tar+gzip", "pretend layer").value();
  layer.diff_id = layer.descriptor.digest;
  oci::OciOptions o;
  o.name = "app";
  o.version = "1.0";
  std::string config = oci::BuildConfigJson(o, {layer}, {"rootfs"}).value();
  auto config_desc = oci::WriteBlob(dir, oci::kMediaTypeConfig, config).value();
  auto manifest = oci::WriteBlob(dir, oci::kMediaTypeManifest, oci::BuildManifestJson(config_desc, {layer}).value())
                      .value();
  EXPECT_TRUE(WriteFile(dir / "index.json", oci::BuildIndexJson(manifest, o).value()).ok());
  EXPECT_TRUE(WriteFile(dir / "oci-layout", oci::kOciLayoutJson).ok());
  return dir;
}

PushOptions FastOptions() {
  PushOptions o;
  o.insecure = true;
  o.retry_delay = std::chrono::milliseconds(1);
  o.auth_file = "/nonexistent/auth.json";
  return o;
}

TEST(ReferenceTest, ParsesHostPortRepoTagAndDigest) {
  auto r = ParseReference("127.0.0.1:5000/team/app:1.0").value();
  EXPECT_EQ(r.registry, "127.0.0.1:5000");
  EXPECT_EQ(r.repository, "team/app");
  EXPECT_EQ(r.tag, "1.0");
  std::string d = "sha256:" + std::string(64, 'a');
  auto r2 = ParseReference("ghcr.io/app@" + d).value();
  EXPECT_EQ(r2.digest, d);
  EXPECT_TRUE(r2.tag.empty());
  EXPECT_EQ(ParseReference("localhost:5000/app").value().tag, "");
  EXPECT_EQ(ParseReference("app").error().code, ErrorCode::kUsage);
  EXPECT_EQ(ParseReference("h/App").error().code, ErrorCode::kUsage);
  EXPECT_TRUE(IsLoopbackRegistry("127.0.0.1:5000"));
  EXPECT_FALSE(IsLoopbackRegistry("ghcr.io"));
}

TEST(CredentialsTest, ParsesChallengesAndAuthFile) {
  auto c = ParseChallenge(R"(Bearer realm="https://auth.io/token",service="reg",scope="repository:a:pull,push")");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->scheme, "bearer");
  EXPECT_EQ(c->params["realm"], "https://auth.io/token");
  EXPECT_EQ(c->params["scope"], "repository:a:pull,push");
  auto dir = TempDir::Create().value();
  ASSERT_TRUE(WriteFile(dir.path() / "auth.json", R"({"auths":{"https://reg.io:5000/v1/":{"auth":"dTpw"}}})").ok());
  auto creds = LoadCredentials("reg.io:5000", dir.path() / "auth.json").value();
  ASSERT_TRUE(creds);
  EXPECT_EQ(creds->basic, "dTpw");
  EXPECT_FALSE(LoadCredentials("other.io", dir.path() / "auth.json").value());
}

TEST(ClientTest, AppendQueryKeepsExistingState) {
  EXPECT_EQ(AppendQuery("http://h/v2/a/blobs/uploads/u1?_state=abc", "digest=sha256:00").value(),
            "http://h/v2/a/blobs/uploads/u1?_state=abc&digest=sha256:00");
  EXPECT_EQ(ResolveUrl("http://h:1/v2/a/blobs/uploads/", "/v2/a/blobs/uploads/u1?x=1").value(),
            "http://h:1/v2/a/blobs/uploads/u1?x=1");
}

TEST(PushTest, PushesPullsByteIdenticalAndSkipsPresentBlobs) {
  FakeRegistry reg;
  auto tmp = TempDir::Create().value();
  auto layout = MakeLayout(tmp.path() / "app_1.0.oci");
  auto ref = ParseReference(reg.Host() + "/app").value();
  auto first = PushLayout(layout, ref, FastOptions());
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(first->tag, "1.0");
  EXPECT_EQ(first->blobs_uploaded, 2);
  EXPECT_EQ(first->blobs_skipped, 0);
  EXPECT_EQ(reg.manifest_types["1.0"], oci::kMediaTypeManifest);
  auto index = nlohmann::json::parse(ReadFile(layout / "index.json").value());
  EXPECT_EQ(first->manifest_digest, index["manifests"][0]["digest"]);

  auto second = PushLayout(layout, ref, FastOptions());
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  EXPECT_EQ(second->blobs_uploaded, 0);
  EXPECT_EQ(second->blobs_skipped, 2);
  EXPECT_EQ(reg.blob_uploads, 2);

  PullOptions po;
  po.insecure = true;
  po.auth_file = "/nonexistent";
  auto pulled = PullLayout(ParseReference(reg.Host() + "/app:1.0").value(), tmp.path() / "pulled", po);
  ASSERT_TRUE(pulled.ok()) << pulled.error().ToString();
  for (const auto& e : std::filesystem::recursive_directory_iterator(layout)) {
    if (!e.is_regular_file()) continue;
    auto rel = std::filesystem::relative(e.path(), layout);
    EXPECT_EQ(ReadFile(e.path()).value(), ReadFile(tmp.path() / "pulled" / rel).value()) << rel;
  }
  int count = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(tmp.path() / "pulled"))
    count += e.is_regular_file();
  EXPECT_EQ(count, 5);  // oci-layout, index.json, 3 blobs: nothing extra
}

TEST(PushTest, RetriesTwo500sThenSucceeds) {
  FakeRegistry reg;
  reg.fail_method = "PUT";
  reg.fail_count = 2;
  auto tmp = TempDir::Create().value();
  auto r = PushLayout(MakeLayout(tmp.path() / "l"), ParseReference(reg.Host() + "/app:v1").value(), FastOptions());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(reg.fail_count, 0);
  EXPECT_EQ(reg.manifests.count("v1"), 1u);
}

TEST(PushTest, PersistentServerErrorGivesUp) {
  FakeRegistry reg;
  reg.fail_method = "POST";
  reg.fail_count = 100;
  auto tmp = TempDir::Create().value();
  auto r = PushLayout(MakeLayout(tmp.path() / "l"), ParseReference(reg.Host() + "/app:v1").value(), FastOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNetwork);
  EXPECT_NE(r.error().ToString().find("HTTP 500"), std::string::npos) << r.error().ToString();
  EXPECT_EQ(reg.requests_of("POST"), 5);
}

TEST(PushTest, Unauthorized401IsAnAuthErrorNamingTheRegistry) {
  FakeRegistry reg;
  reg.always_401 = true;
  auto tmp = TempDir::Create().value();
  auto r = PushLayout(MakeLayout(tmp.path() / "l"), ParseReference(reg.Host() + "/app:v1").value(), FastOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kAuth);
  EXPECT_NE(r.error().ToString().find("authentication to registry " + reg.Host()), std::string::npos)
      << r.error().ToString();
}

TEST(PushTest, BasicAuthFromRegistryAuthFile) {
  FakeRegistry reg;
  reg.basic_auth = "dXNlcjpwYXNz";  // user:pass
  auto tmp = TempDir::Create().value();
  ASSERT_TRUE(WriteFile(tmp.path() / "auth.json",
                        R"({"auths":{")" + reg.Host() + R"(":{"auth":"dXNlcjpwYXNz"}}})").ok());
  ::setenv("REGISTRY_AUTH_FILE", (tmp.path() / "auth.json").c_str(), 1);
  auto opts = FastOptions();
  opts.auth_file.clear();  // from the environment
  auto r = PushLayout(MakeLayout(tmp.path() / "l"), ParseReference(reg.Host() + "/app:v1").value(), opts);
  ::unsetenv("REGISTRY_AUTH_FILE");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(reg.manifests.count("v1"), 1u);

  reg.basic_auth = "d3Jvbmc=";  // the file's credentials are now wrong
  auto again = PushLayout(tmp.path() / "l", ParseReference(reg.Host() + "/app:v2").value(), FastOptions());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kAuth);
}

TEST(PushTest, BearerTokenFetchedWithBasicCredentials) {
  FakeRegistry reg;
  reg.bearer_token = "tok123";
  reg.basic_auth = "dXNlcjpwYXNz";
  auto tmp = TempDir::Create().value();
  ASSERT_TRUE(WriteFile(tmp.path() / "auth.json",
                        R"({"auths":{")" + reg.Host() + R"(":{"auth":"dXNlcjpwYXNz"}}})").ok());
  auto opts = FastOptions();
  opts.auth_file = tmp.path() / "auth.json";
  auto r = PushLayout(MakeLayout(tmp.path() / "l"), ParseReference(reg.Host() + "/app:v1").value(), opts);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(reg.manifests.count("v1"), 1u);

  auto no_creds = PushLayout(tmp.path() / "l", ParseReference(reg.Host() + "/app:v2").value(), FastOptions());
  ASSERT_FALSE(no_creds.ok());
  EXPECT_EQ(no_creds.error().code, ErrorCode::kAuth);
  EXPECT_NE(no_creds.error().ToString().find(reg.Host()), std::string::npos);
}

TEST(CosignTest, SignsAndVerifiesAndRejectsOtherKey) {
  FakeRegistry reg;
  auto tmp = TempDir::Create().value();
  auto ref = ParseReference(reg.Host() + "/app:v1").value();
  auto pushed = PushLayout(MakeLayout(tmp.path() / "l"), ref, FastOptions());
  ASSERT_TRUE(pushed.ok()) << pushed.error().ToString();
  auto key = signing::GenerateKey(signing::KeyAlgorithm::kEcP256, "t", 1).value();
  auto other = signing::GenerateKey(signing::KeyAlgorithm::kEcP256, "o", 1).value();
  auto s = PushCosignSignature(ref, pushed->manifest_digest, key.key, FastOptions());
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  std::string tag = "sha256-" + pushed->manifest_digest.substr(7) + ".sig";
  ASSERT_EQ(reg.manifests.count(tag), 1u);
  auto sig = nlohmann::json::parse(reg.manifests[tag]);
  EXPECT_EQ(sig["layers"][0]["mediaType"], kCosignPayloadType);
  std::string payload = reg.blobs[sig["layers"][0]["digest"].get<std::string>()];
  EXPECT_EQ(payload, CosignPayload(reg.Host() + "/app", pushed->manifest_digest));

  PullOptions po;
  po.insecure = true;
  auto ok = VerifyCosignSignature(ref, signing::PublicKeyOf(key.key), po);
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
  EXPECT_EQ(*ok, pushed->manifest_digest);
  auto bad = VerifyCosignSignature(ref, signing::PublicKeyOf(other.key), po);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kIntegrity);
  auto unsigned_ref = ParseReference(reg.Host() + "/app:missing").value();
  EXPECT_FALSE(VerifyCosignSignature(unsigned_ref, signing::PublicKeyOf(key.key), po).ok());
}

}  // namespace
}  // namespace kiln::registry
