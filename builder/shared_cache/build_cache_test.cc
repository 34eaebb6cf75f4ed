#include "builder/shared_cache/build_cache.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "builder/common/files.h"
#include "builder/registry/fake_registry.h"
#include "builder/registry/push.h"
#include "builder/sources/base_tree_cache.h"

namespace kiln::shared_cache {
namespace {

using nlohmann::json;
using registry::testing::FakeRegistry;
namespace fs = std::filesystem;

registry::PushOptions Fast() {
  registry::PushOptions o;
  o.insecure = true;
  o.retry_delay = std::chrono::milliseconds(1);
  o.auth_file = "/nonexistent/auth.json";
  return o;
}

// Fixed test identities of signing/testdata.
CacheSigner TestSigner(const std::string& name) {
  const fs::path dir = fs::path(KILN_TESTDATA).parent_path().parent_path().parent_path() / "signing" / "testdata";
  // A checkout gives the key 0644, which LoadPrivateKey refuses (like ssh): load a 0600 copy.
  static TempDir copies = TempDir::Create().value();
  const fs::path key = copies.path() / (name + ".key");
  if (!WriteFile(key, ReadFile(dir / (name + ".key")).value(), 0600).ok()) std::abort();
  return CacheSigner{signing::LoadPrivateKey(key.string()).value(),
                     signing::LoadCertificate((dir / (name + ".crt")).string()).value()};
}

TEST(BuildCacheTest, BaseTreeEntryRoundTrip) {
  FakeRegistry reg;
  auto dir = TempDir::Create().value();
  BuildContext a, b;
  a.cache_dir = dir.path() / "a";
  b.cache_dir = dir.path() / "b";
  const std::string key(64, 'c');
  ASSERT_TRUE(WriteFile(dir.path() / "base.tar", "pretend tarball").ok());
  auto blob = sources::StoreBaseTree(a, key, dir.path() / "base.tar").value();
  auto cache = ParseCacheReference(reg.Host() + "/kiln-cache").value();
  const CacheSigner signer = TestSigner("rsa");
  EXPECT_TRUE(PushBaseTree(cache, key, blob, Fast(), signer).value());
  EXPECT_FALSE(PushBaseTree(cache, key, blob, Fast(), signer).value());  // same bytes and signature already there
  json entry = json::parse(reg.manifests["base-" + key]);
  EXPECT_EQ(entry["artifactType"], kBaseTreeArtifactType);
  EXPECT_EQ(entry["annotations"][kCacheKeyAnnotation], key);
  ASSERT_TRUE(entry["annotations"][kCacheSignatureAnnotation].is_string());

  CacheTrust trust;
  trust.trusted.push_back(signer.cert);
  EXPECT_FALSE(PullBaseTree(cache, std::string(64, 'd'), b, Fast(), trust).value());
  EXPECT_TRUE(PullBaseTree(cache, key, b, Fast(), trust).value());
  auto local = sources::LookupBaseTree(b, key).value();
  ASSERT_TRUE(local);
  EXPECT_EQ(ReadFile(*local).value(), "pretend tarball");
  EXPECT_EQ(ParseCacheReference(reg.Host() + "/kiln-cache:tag").error().code, ErrorCode::kUsage);
}

// Entries signed by someone else, unsigned, or signed for another key are refused before
// their layer is downloaded; nothing reaches the local cache.
TEST(BuildCacheTest, UntrustedBaseTreeEntriesAreRefused) {
  FakeRegistry reg;
  auto dir = TempDir::Create().value();
  BuildContext a, b;
  a.cache_dir = dir.path() / "a";
  b.cache_dir = dir.path() / "b";
  const std::string key(64, 'c'), other_key(64, 'e');
  ASSERT_TRUE(WriteFile(dir.path() / "base.tar", "pretend tarball").ok());
  auto blob = sources::StoreBaseTree(a, key, dir.path() / "base.tar").value();
  auto cache = ParseCacheReference(reg.Host() + "/kiln-cache").value();
  ASSERT_TRUE(PushBaseTree(cache, key, blob, Fast(), TestSigner("other_rsa")).value());
  CacheTrust trust;
  trust.trusted.push_back(TestSigner("rsa").cert);
  auto wrong_signer = PullBaseTree(cache, key, b, Fast(), trust);
  ASSERT_FALSE(wrong_signer.ok());
  EXPECT_EQ(wrong_signer.error().code, ErrorCode::kIntegrity);
  EXPECT_NE(wrong_signer.error().message.find("not signed by a trusted certificate"), std::string::npos);

  json entry = json::parse(reg.manifests["base-" + key]);
  entry["annotations"].erase(kCacheSignatureAnnotation);
  reg.manifests["base-" + key] = entry.dump();
  auto unsigned_entry = PullBaseTree(cache, key, b, Fast(), trust);
  ASSERT_FALSE(unsigned_entry.ok());
  EXPECT_NE(unsigned_entry.error().message.find("not signed"), std::string::npos);

  // A trusted signature over another key's entry does not move to this key.
  ASSERT_TRUE(PushBaseTree(cache, other_key, blob, Fast(), TestSigner("rsa")).value());
  json moved = json::parse(reg.manifests["base-" + other_key]);
  moved["annotations"][kCacheKeyAnnotation] = key;
  reg.manifests["base-" + key] = moved.dump();
  EXPECT_FALSE(PullBaseTree(cache, key, b, Fast(), trust).ok());
  EXPECT_FALSE(sources::LookupBaseTree(b, key).value());
}

}  // namespace
}  // namespace kiln::shared_cache
