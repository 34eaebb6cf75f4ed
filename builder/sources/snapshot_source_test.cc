#include "builder/sources/snapshot_source.h"

#include <gtest/gtest.h>

namespace kiln::sources {
namespace {

TEST(SnapshotSource, ArchiveIsTheMirrorsLastPathSegment) {
  EXPECT_EQ(*SnapshotArchiveName("http://deb.debian.org/debian"), "debian");
  EXPECT_EQ(*SnapshotArchiveName("https://deb.debian.org/debian/"), "debian");
  EXPECT_EQ(*SnapshotArchiveName("http://security.debian.org/debian-security"), "debian-security");
  EXPECT_EQ(*SnapshotArchiveName("http://127.0.0.1:8080/mirror/debian-ports"), "debian-ports");
  EXPECT_EQ(*SnapshotArchiveName("file:///srv/debian"), "debian");
  for (const char* bad : {"http://deb.debian.org", "http://deb.debian.org/", "deb http://x/debian bookworm main",
                          "ftp://x/debian", "http://x/Debian", "http://x/de bian", ""}) {
    auto r = SnapshotArchiveName(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kRecipe);
  }
}

TEST(SnapshotSource, UrlFollowsTheSnapshotServiceScheme) {
  EXPECT_EQ(SnapshotArchiveUrl("https://snapshot.debian.org", "debian", "20240101T000000Z"),
            "https://snapshot.debian.org/archive/debian/20240101T000000Z/");
  EXPECT_EQ(SnapshotArchiveUrl("http://127.0.0.1:9/", "debian-security", "20240101T000000Z"),
            "http://127.0.0.1:9/archive/debian-security/20240101T000000Z/");
}

TEST(SnapshotSource, SourceLineTurnsValidityCheckingOffForTheSnapshotOnly) {
  DebianBaseSpec spec;
  spec.components = {"main", "contrib"};
  EXPECT_EQ(*AptSourceFor(spec, "", kDefaultSnapshotMirror), "http://deb.debian.org/debian");  // as before
  EXPECT_EQ(*AptSourceFor(spec, "20240101T000000Z", kDefaultSnapshotMirror),
            "deb [check-valid-until=no] https://snapshot.debian.org/archive/debian/20240101T000000Z/ bookworm main contrib");
  spec.suite = "bookworm-security";
  spec.mirror = "http://security.debian.org/debian-security";
  spec.components = {"main"};
  EXPECT_EQ(*AptSourceFor(spec, "20240101T000000Z", "http://127.0.0.1:9"),
            "deb [check-valid-until=no] http://127.0.0.1:9/archive/debian-security/20240101T000000Z/ bookworm-security main");
  spec.suite = "bookworm-updates";
  spec.mirror = "http://deb.debian.org/debian";
  EXPECT_EQ(*AptSourceFor(spec, "20240101T000000Z", "http://127.0.0.1:9"),
            "deb [check-valid-until=no] http://127.0.0.1:9/archive/debian/20240101T000000Z/ bookworm-updates main");
}

TEST(SnapshotSource, RejectsBadTimestampsAndMirrors) {
  DebianBaseSpec spec;
  auto r = AptSourceFor(spec, "2024-01-01", kDefaultSnapshotMirror);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "invalid snapshot '2024-01-01' (expected YYYYMMDDTHHMMSSZ, UTC)");
  EXPECT_FALSE(AptSourceFor(spec, "20240101T000000Z", "snapshot.debian.org").ok());
  EXPECT_FALSE(AptSourceFor(spec, "20240101T000000Z", "http://x/a b").ok());
  EXPECT_FALSE(AptSourceFor(spec, "20240101T000000Z", "http://x/]").ok());
  spec.mirror = "http://deb.debian.org";
  EXPECT_FALSE(AptSourceFor(spec, "20240101T000000Z", kDefaultSnapshotMirror).ok());
}

TEST(SnapshotSource, EnvironmentOverridesTheRecipesMirrorBase) {
  DebianBaseSpec spec;
  spec.snapshot_mirror = "https://mirror.example/snap";
  EXPECT_EQ(*EffectiveSnapshotMirror(spec, nullptr), "https://mirror.example/snap");
  EXPECT_EQ(*EffectiveSnapshotMirror(spec, ""), "https://mirror.example/snap");
  EXPECT_EQ(*EffectiveSnapshotMirror(spec, "http://127.0.0.1:8080"), "http://127.0.0.1:8080");
  auto bad = EffectiveSnapshotMirror(spec, "127.0.0.1:8080");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kUsage);
  EXPECT_EQ(bad.error().message, "KILN_SNAPSHOT_MIRROR: expected an http://, https:// or file:// URL");
}

TEST(LockSnapshot, ComesFromTheOptionOrTheRecipe) {
  const std::int64_t now = 1704067199;  // 2023-12-31 23:59:59 UTC
  EXPECT_EQ(*LockSnapshot("", std::nullopt, now), "");  // no snapshot: a lock as before
  EXPECT_EQ(*LockSnapshot("20240101T000000Z", std::nullopt, now), "20240101T000000Z");
  EXPECT_EQ(*LockSnapshot("", std::string(""), now), "20231231T230000Z");  // rounded down to the hour
  EXPECT_EQ(*LockSnapshot("", std::string("now"), now), "20231231T230000Z");
  EXPECT_EQ(*LockSnapshot("", std::string("20240201T000000Z"), now), "20240201T000000Z");
  EXPECT_EQ(*LockSnapshot("20240201T000000Z", std::string("20240201T000000Z"), now), "20240201T000000Z");
  auto bad = LockSnapshot("", std::string("app.toml"), now);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kUsage);
  EXPECT_EQ(bad.error().message,
            "--snapshot 'app.toml' is not a snapshot timestamp (expected YYYYMMDDTHHMMSSZ, UTC, or now)");
  auto clash = LockSnapshot("20240101T000000Z", std::string("20240201T000000Z"), now);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().code, ErrorCode::kUsage);
  EXPECT_EQ(clash.error().message, "--snapshot 20240201T000000Z disagrees with the recipe's [base] snapshot = "
                                   "\"20240101T000000Z\" (change the recipe, or drop --snapshot)");
}

}  // namespace
}  // namespace kiln::sources
