// Cache entry signatures: made with the build key, accepted only from a trusted certificate,
// bound to the entry's type, key and layer digest; hostile annotations are errors, not crashes.
#include "builder/shared_cache/cache_signature.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "builder/common/files.h"
#include "signing/base64.h"

namespace kiln::shared_cache {
namespace {

namespace fs = std::filesystem;

std::string TestData(const std::string& name) {
  const fs::path p = fs::path(KILN_TESTDATA).parent_path().parent_path().parent_path() / "signing" / "testdata" / name;
  if (p.extension() != ".key") return p.string();
  // A checkout gives the key 0644, which LoadPrivateKey refuses (like ssh): use a 0600 copy.
  static TempDir copies = TempDir::Create().value();
  const fs::path key = copies.path() / name;
  if (!WriteFile(key, ReadFile(p).value(), 0600).ok()) std::abort();
  return key.string();
}

TEST(CacheSignature, SignedByTheBuildKeyVerifiesWithItsCertificateOnly) {
  auto own = LoadCacheTrust({}, TestData("rsa.key"), TestData("rsa.crt"));
  ASSERT_TRUE(own.ok()) << own.error().ToString();
  ASSERT_TRUE(own->signer);
  ASSERT_EQ(own->trusted.size(), 1u);  // the build certificate counts
  const std::string stmt = CacheEntryStatement("application/vnd.kiln.block-pack.v1", "k1", "sha256:" + std::string(64, 'a'));
  auto sig = SignCacheEntry(*own->signer, stmt);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(*SignCacheEntry(*own->signer, stmt), *sig);  // RSA: deterministic, so re-pushes are skipped
  EXPECT_TRUE(VerifyCacheEntry(*own, stmt, *sig).ok());

  // Another key (same subject) is not trusted; naming its certificate with --cache-trust is.
  auto other = LoadCacheTrust({TestData("other_rsa.crt")}, "", "");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->signer);
  Status s = VerifyCacheEntry(*other, stmt, *sig);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kIntegrity);
  auto both = LoadCacheTrust({TestData("other_rsa.crt"), TestData("rsa.crt")}, "", "");
  ASSERT_TRUE(both.ok());
  EXPECT_TRUE(VerifyCacheEntry(*both, stmt, *sig).ok());

  // The statement binds type, key and digest.
  EXPECT_FALSE(VerifyCacheEntry(*own, CacheEntryStatement("application/vnd.kiln.block-pack.v1", "k2",
                                                          "sha256:" + std::string(64, 'a')), *sig).ok());
  EXPECT_FALSE(VerifyCacheEntry(*own, CacheEntryStatement("application/vnd.kiln.base-tree.v1", "k1",
                                                          "sha256:" + std::string(64, 'a')), *sig).ok());
}

TEST(CacheSignature, HostileAnnotationsAreRefused) {
  auto own = LoadCacheTrust({}, TestData("rsa.key"), TestData("rsa.crt"));
  ASSERT_TRUE(own.ok());
  const std::string stmt = CacheEntryStatement("t", "k", "sha256:x");
  for (const std::string& bad : {std::string(), std::string("not base64!"), signing::Base64Encode("garbage DER"),
                                 std::string(100000, 'A')}) {
    Status s = VerifyCacheEntry(*own, stmt, bad);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::kIntegrity);
  }
  EXPECT_FALSE(LoadCacheTrust({"/nonexistent.crt"}, "", "").ok());
}

}  // namespace
}  // namespace kiln::shared_cache
