#include "builder/sources/base_tree_cache.h"

#include <gtest/gtest.h>

#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/sources/download_cache.h"

namespace kiln::sources {
namespace {

namespace fs = std::filesystem;

class BaseTreeCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::Create({}, "kiln-tree-cache");
    ASSERT_TRUE(d.ok());
    dir_ = std::move(d).value();
    ctx_.cache_dir = dir_.path() / "cache";
    ctx_.on_event = [this](const Event& e) { events_.push_back(e.message); };
  }
  fs::path MakeTar(const std::string& content) {
    fs::path p = dir_.path() / ("t" + std::to_string(n_++) + ".tar");
    EXPECT_TRUE(WriteFile(p, content).ok());
    return p;
  }
  TempDir dir_;
  BuildContext ctx_;
  std::vector<std::string> events_;
  int n_ = 0;
};

TEST_F(BaseTreeCacheTest, MissThenStoreThenHit) {
  auto miss = LookupBaseTree(ctx_, "k1");
  ASSERT_TRUE(miss.ok());
  EXPECT_FALSE(miss->has_value());
  auto stored = StoreBaseTree(ctx_, "k1", MakeTar("tar bytes"));
  ASSERT_TRUE(stored.ok()) << stored.error().ToString();
  EXPECT_EQ(*stored, BlobPath(ctx_.cache_dir, ToHex(Sha256Of("tar bytes"))));
  auto hit = LookupBaseTree(ctx_, "k1");
  ASSERT_TRUE(hit.ok());
  ASSERT_TRUE(hit->has_value());
  EXPECT_EQ(**hit, *stored);
  EXPECT_EQ(*ReadFile(**hit), "tar bytes");
  EXPECT_FALSE(LookupBaseTree(ctx_, "k2")->has_value());
}

TEST_F(BaseTreeCacheTest, CorruptBlobIsDetectedAndIgnored) {
  auto stored = StoreBaseTree(ctx_, "k1", MakeTar("tar bytes"));
  ASSERT_TRUE(stored.ok());
  ASSERT_TRUE(WriteFile(*stored, "tar bytez").ok());  // bit rot
  auto hit = LookupBaseTree(ctx_, "k1");
  ASSERT_TRUE(hit.ok());
  EXPECT_FALSE(hit->has_value());
  EXPECT_FALSE(fs::exists(*stored));
  EXPECT_FALSE(fs::exists(ctx_.cache_dir / "base-trees" / "k1"));
  ASSERT_FALSE(events_.empty());
  EXPECT_NE(events_.back().find("ignoring corrupt base tree cache entry"), std::string::npos);
}

TEST_F(BaseTreeCacheTest, MalformedOrDanglingIndexIsAMiss) {
  fs::create_directories(ctx_.cache_dir / "base-trees");
  ASSERT_TRUE(WriteFile(ctx_.cache_dir / "base-trees" / "k1", "garbage").ok());
  EXPECT_FALSE(LookupBaseTree(ctx_, "k1")->has_value());
  ASSERT_TRUE(WriteFile(ctx_.cache_dir / "base-trees" / "k2", "sha256 " + std::string(64, 'a') + "\n").ok());
  EXPECT_FALSE(LookupBaseTree(ctx_, "k2")->has_value());
  EXPECT_FALSE(fs::exists(ctx_.cache_dir / "base-trees" / "k2"));
}

// Someone who can write the cache plants a tarball under its correct digest and an index
// pointing at it: without the user's cache key the index is not sealed, so it is ignored.
TEST_F(BaseTreeCacheTest, PlantedIndexIsIgnored) {
  auto stored = StoreBaseTree(ctx_, "k1", MakeTar("good tree"));
  ASSERT_TRUE(stored.ok()) << stored.error().ToString();
  const std::string evil = "evil tree";
  const std::string hex = ToHex(Sha256Of(evil));
  ASSERT_TRUE(WriteFile(BlobPath(ctx_.cache_dir, hex), evil).ok());
  ASSERT_TRUE(WriteFile(ctx_.cache_dir / "base-trees" / "k1", "sha256 " + hex + "\nhmac " + std::string(64, '0') + "\n").ok());
  auto hit = LookupBaseTree(ctx_, "k1");
  ASSERT_TRUE(hit.ok());
  EXPECT_FALSE(hit->has_value());
  ASSERT_FALSE(events_.empty());
  EXPECT_NE(events_.back().find("not sealed with this user's cache key"), std::string::npos) << events_.back();
  // Nor does an index copied from another key's entry work under this key.
  ASSERT_TRUE(StoreBaseTree(ctx_, "k2", MakeTar("other tree")).ok());
  fs::copy_file(ctx_.cache_dir / "base-trees" / "k2", ctx_.cache_dir / "base-trees" / "k1",
                fs::copy_options::overwrite_existing);
  EXPECT_FALSE(LookupBaseTree(ctx_, "k1")->has_value());
}

}  // namespace
}  // namespace kiln::sources
