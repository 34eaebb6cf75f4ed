#include "builder/sources/mmdebstrap_progress.h"

#include <gtest/gtest.h>

namespace kiln::sources {
namespace {

TEST(MmdebstrapProgress, PhasesAreLogEvents) {
  MmdebstrapProgress p;
  auto e = p.Feed("I: installing remaining packages inside the chroot...");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->stage, "sources");
  EXPECT_EQ(e->message, "mmdebstrap: installing remaining packages inside the chroot");
  EXPECT_EQ(e->done, 0u);
  EXPECT_EQ(e->total, 0u);
}

TEST(MmdebstrapProgress, CountsPackagesAgainstAptsTotal) {
  MmdebstrapProgress p;
  EXPECT_FALSE(p.Feed("0 upgraded, 3 newly installed, 0 to remove and 0 not upgraded."));
  auto u = p.Feed("Unpacking libc6:amd64 (2.36-9+deb12u4) ...");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->message, "unpacking libc6");
  EXPECT_EQ(u->stage, "packages");
  EXPECT_EQ(u->done, 1u);
  EXPECT_EQ(u->total, 3u);
  p.Feed("Unpacking busybox (1:1.35.0-4+b3) ...");
  auto s = p.Feed("Setting up busybox (1:1.35.0-4+b3) ...");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->message, "configuring busybox");
  EXPECT_EQ(s->done, 1u);
  EXPECT_EQ(s->total, 3u);
}

TEST(MmdebstrapProgress, DownloadsCountOnlyPackages) {
  MmdebstrapProgress p;
  EXPECT_FALSE(p.Feed("Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]"));
  auto g = p.Feed("Get:12 http://deb.debian.org/debian bookworm/main amd64 busybox amd64 1:1.35.0-4+b3 [452 kB]");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->message, "downloading busybox");
  EXPECT_EQ(g->done, 1u);
}

TEST(MmdebstrapProgress, ANewPhaseResetsTheCounters) {
  MmdebstrapProgress p;
  p.Feed("1 upgraded, 7 newly installed, 0 to remove and 0 not upgraded.");
  p.Feed("Setting up a (1) ...");
  p.Feed("I: cleaning package lists and apt cache...");
  auto s = p.Feed("Setting up b (1) ...");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->done, 1u);
  EXPECT_EQ(s->total, 0u);
  EXPECT_FALSE(p.Feed("some other apt output"));
  // A maintainer script's note is not a phase: the counts go on.
  EXPECT_FALSE(p.Feed("I: /initrd.img is now a symlink to boot/initrd.img-6.1.0-28-amd64"));
  EXPECT_EQ(p.Feed("Setting up c (1) ...")->done, 2u);
  EXPECT_FALSE(p.Feed("x newly installed"));
}

}  // namespace
}  // namespace kiln::sources
