// Real mmdebstrap runs against deb.debian.org (3 runs, 3-10 minutes): `kiln lock`, then two
// builds from the lock file. The first runs mmdebstrap, the second must come from the
// resolved-tree cache; a third with an empty cache must give the identical tarball.
// Labelled slow; runs only with KILN_SLOW_TESTS=1 (tests/run-all sets it) and mmdebstrap installed.
#include <gtest/gtest.h>

#include <string>

#include <cstdlib>

#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/common/subprocess.h"
#include "builder/sources/debian_source.h"
#include "builder/sources/dpkg_status.h"

namespace kiln::sources {
namespace {

namespace fs = std::filesystem;

DebianBaseSpec BusyboxBase() {
  DebianBaseSpec base;
  base.suite = "bookworm";
  base.variant = "minbase";
  base.packages = {"busybox"};
  return base;
}

TEST(DebianSourceSlow, LockBuildCacheAndReproduce) {
  const char* slow = std::getenv("KILN_SLOW_TESTS");
  if (!slow || std::string(slow) != "1") GTEST_SKIP() << "slow test (mmdebstrap); set KILN_SLOW_TESTS=1";
  if (FindProgram("mmdebstrap").empty()) GTEST_SKIP() << "mmdebstrap not installed";
  auto dir = TempDir::Create({}, "kiln-debian-slow");
  ASSERT_TRUE(dir.ok());
  const fs::path d = dir->path();
  const DebianBaseSpec r = BusyboxBase();
  BuildContext ctx;
  ctx.source_date_epoch = 1700000000;
  ctx.cache_dir = d / "cache";
  ctx.work_dir = d / "work";

  const fs::path lock_path = LockPathFor(d / "debian.toml");
  Status w = WriteLockFile(r, ctx, lock_path);
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  auto lock = ReadLockFile(lock_path);
  ASSERT_TRUE(lock.ok()) << lock.error().ToString();
  EXPECT_GT(lock->packages.size(), 50u);
  bool has_busybox = false;
  for (const auto& p : lock->packages) has_busybox |= p.name == "busybox";
  EXPECT_TRUE(has_busybox);

  auto first = ResolveDebianBase(r, ctx, lock_path);
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_FALSE(first->from_cache);
  auto first_digest = Sha256File(first->tarball);
  ASSERT_TRUE(first_digest.ok());

  ctx.offline = true;  // the cache must answer without the network
  auto second = ResolveDebianBase(r, ctx, lock_path);
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  EXPECT_TRUE(second->from_cache);
  EXPECT_EQ(second->inputs, first->inputs);

  // A cold rebuild into another cache gives the same bytes.
  ctx.offline = false;
  ctx.cache_dir = d / "cache2";
  auto third = ResolveDebianBase(r, ctx, lock_path);
  ASSERT_TRUE(third.ok()) << third.error().ToString();
  EXPECT_FALSE(third->from_cache);
  EXPECT_EQ(ToHex(*Sha256File(third->tarball)), ToHex(*first_digest));

  tree::FileTree tree(ctx.source_date_epoch);
  auto store = tree::ContentStore::Create(d / "store");
  ASSERT_TRUE(store.ok());
  auto inputs = ImportDebianBase(r, ctx, lock_path, tree, *store);
  ASSERT_TRUE(inputs.ok()) << inputs.error().ToString();
  auto pkgs = ReadDpkgStatus(tree);
  ASSERT_TRUE(pkgs.ok()) << pkgs.error().ToString();
  EXPECT_EQ(pkgs->size(), lock->packages.size());
  EXPECT_EQ(tree.Find("etc/hostname"), nullptr);
}

}  // namespace
}  // namespace kiln::sources
