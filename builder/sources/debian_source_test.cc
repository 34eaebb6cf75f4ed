#include "builder/sources/debian_source.h"

#include <gtest/gtest.h>

#include "builder/sources/base_tree_cache.h"

namespace kiln::sources {
namespace {

const std::string kA(64, 'a'), kB(64, 'b'), kC(64, 'c');

LockFile Lock() {
  LockFile l;
  l.packages = {{"bash", "5.2", "amd64", kA}, {"tzdata", "2024a", "all", kB}};
  return l;
}

TEST(DebDigestList, Parses) {
  auto r = ParseDebDigestList("tzdata\t2024a\tall\t" + kB + "\nbash\t5.2\tamd64\t" + kA + "\n");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0], (LockedPackage{"bash", "5.2", "amd64", kA}));
  auto bad = ParseDebDigestList("bash\t5.2\tamd64\t" + kA + "\nbroken line\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("line 2"), std::string::npos);
}

TEST(CheckDownloadsAgainstLock, AcceptsExactMatch) {
  EXPECT_TRUE(CheckDownloadsAgainstLock(Lock(), Lock().packages, "x.lock").ok());
}

TEST(CheckDownloadsAgainstLock, NamesThePackageThatDiffers) {
  auto got = Lock().packages;
  got[1].sha256 = kC;
  Status s = CheckDownloadsAgainstLock(Lock(), got, "x.lock");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kIntegrity);
  EXPECT_EQ(s.error().message, "package tzdata 2024a: sha256 of the .deb is " + kC + " but x.lock expects " + kB);

  got = Lock().packages;
  got[0].version = "5.3";
  s = CheckDownloadsAgainstLock(Lock(), got, "x.lock");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("package bash: x.lock pins version 5.2 but the mirror gave 5.3"), std::string::npos);

  got = Lock().packages;
  got.pop_back();
  s = CheckDownloadsAgainstLock(Lock(), got, "x.lock");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("package tzdata 2024a from x.lock was not installed"), std::string::npos);

  got = Lock().packages;
  got.push_back({"extra", "1", "amd64", kC});
  s = CheckDownloadsAgainstLock(Lock(), got, "x.lock");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("package extra 1 (amd64) was installed but is not in x.lock"), std::string::npos);
}

TEST(ExplainAptFailure, TurnsAptErrorsIntoKilnMessages) {
  EXPECT_EQ(ExplainAptFailure("I: ...\nE: Version '1.0-1' for 'busybox' was not found\nE: ...", "http://m"),
            "locked package busybox version 1.0-1 is no longer available from http://m "
            "(re-run `kiln lock`, or pin a snapshot: `kiln lock --snapshot`)");
  EXPECT_EQ(ExplainAptFailure("E: Unable to locate package nosuch\n", "http://m"),
            "package nosuch is not available from http://m");
  EXPECT_EQ(ExplainAptFailure("E: something else", "http://m"), "");
}

TEST(PickMmdebstrapMode, HonoursTheOverride) {
  ::setenv("KILN_MMDEBSTRAP_MODE", "fakechroot", 1);
  auto m = PickMmdebstrapMode();
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, MmdebstrapMode::kFakechroot);
  ::setenv("KILN_MMDEBSTRAP_MODE", "chroot", 1);
  EXPECT_FALSE(PickMmdebstrapMode().ok());
  ::unsetenv("KILN_MMDEBSTRAP_MODE");
  if (::geteuid() == 0 && PickMmdebstrapMode().ok()) {
    EXPECT_EQ(*PickMmdebstrapMode(), MmdebstrapMode::kRoot);
  }
}

TEST(DebianBaseCacheKey, ChangesWithEveryInput) {
  DebianBaseSpec base;
  base.packages = {"busybox"};
  const std::string k = DebianBaseCacheKey("lock", base, "amd64");
  EXPECT_EQ(k.size(), 64u);
  EXPECT_EQ(k, DebianBaseCacheKey("lock", base, "amd64"));
  EXPECT_NE(k, DebianBaseCacheKey("lock2", base, "amd64"));
  EXPECT_NE(k, DebianBaseCacheKey("lock", base, "arm64"));
  auto changed = [&](auto mutate) {
    DebianBaseSpec b = base;
    mutate(b);
    return DebianBaseCacheKey("lock", b, "amd64") != k;
  };
  EXPECT_TRUE(changed([](auto& b) { b.suite = "trixie"; }));
  EXPECT_TRUE(changed([](auto& b) { b.variant = "apt"; }));
  EXPECT_TRUE(changed([](auto& b) { b.mirror = "http://other/debian"; }));
  EXPECT_TRUE(changed([](auto& b) { b.components = {"main", "contrib"}; }));
  EXPECT_TRUE(changed([](auto& b) { b.packages = {"busybox", "curl"}; }));
  EXPECT_TRUE(changed([](auto& b) { b.apt.options = {"Acquire::Retries \"3\""}; }));
  // Field boundaries cannot be shifted to collide.
  EXPECT_TRUE(changed([](auto& b) { b.components = {"mai", "n"}; }));
}

// The snapshot reaches the key through the lock's bytes (a recipe's snapshot must equal the
// lock's); where the snapshot is fetched from is not an input, so existing keys stay as they were.
TEST(DebianBaseCacheKey, IgnoresTheSnapshotMirrorBase) {
  DebianBaseSpec base;
  const std::string k = DebianBaseCacheKey("lock", base, "amd64");
  base.snapshot_mirror = "http://127.0.0.1:9";
  EXPECT_EQ(DebianBaseCacheKey("lock", base, "amd64"), k);
  base.snapshot = "20240101T000000Z";
  EXPECT_EQ(DebianBaseCacheKey("lock", base, "amd64"), k);
  EXPECT_NE(DebianBaseTreeKey(base, "lock"), DebianBaseTreeKey(base, "lock\nsnapshot = \"20240101T000000Z\""));
}

}  // namespace
}  // namespace kiln::sources
