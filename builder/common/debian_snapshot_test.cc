#include "builder/common/debian_snapshot.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

TEST(SnapshotTimestamp, AcceptsRealUtcTimes) {
  EXPECT_TRUE(IsSnapshotTimestamp("20240101T000000Z"));
  EXPECT_TRUE(IsSnapshotTimestamp("20231231T235959Z"));
  EXPECT_TRUE(IsSnapshotTimestamp("20240229T120000Z"));  // leap year
  EXPECT_TRUE(IsSnapshotTimestamp("20000229T000000Z"));  // divisible by 400
  EXPECT_TRUE(IsSnapshotTimestamp("19700101T000000Z"));
}

TEST(SnapshotTimestamp, RejectsEverythingElse) {
  for (const char* bad : {"", "20240101", "20240101T000000", "20240101T000000z", "20240101t000000Z",
                          "2024-01-01T00:00:00Z", "20240101T0000000Z", " 20240101T000000Z",
                          "20241301T000000Z", "20240001T000000Z", "20240100T000000Z",
                          "20240132T000000Z", "20230229T000000Z", "19000229T000000Z",
                          "20240431T000000Z", "20240101T240000Z", "20240101T006000Z",
                          "20240101T000060Z", "19691231T235959Z", "2024O101T000000Z",
                          "+0240101T000000Z", "20240101T-00000Z"})
    EXPECT_FALSE(IsSnapshotTimestamp(bad)) << bad;
}

TEST(SnapshotTimestamp, FormatsUnixSecondsInUtc) {
  EXPECT_EQ(FormatSnapshotTimestamp(0), "19700101T000000Z");
  EXPECT_EQ(FormatSnapshotTimestamp(1700000000), "20231114T221320Z");
  EXPECT_EQ(FormatSnapshotTimestamp(1704067199), "20231231T235959Z");
  EXPECT_EQ(FormatSnapshotTimestamp(1709164800), "20240229T000000Z");
  EXPECT_EQ(FormatSnapshotTimestamp(-5), "19700101T000000Z");
  EXPECT_TRUE(IsSnapshotTimestamp(FormatSnapshotTimestamp(4102444799)));  // 2099-12-31
  EXPECT_EQ(FormatSnapshotTimestamp(4102444799), "20991231T235959Z");
}

TEST(SnapshotMirror, AcceptsUrlsFitForAnAptSourceLine) {
  EXPECT_EQ(SnapshotMirrorProblem("https://snapshot.debian.org"), "");
  EXPECT_EQ(SnapshotMirrorProblem("http://127.0.0.1:8080/snap/"), "");
  EXPECT_EQ(SnapshotMirrorProblem("file:///srv/snapshots"), "");
  EXPECT_EQ(SnapshotMirrorProblem("snapshot.debian.org"), "expected an http://, https:// or file:// URL");
  EXPECT_EQ(SnapshotMirrorProblem("https://"), "expected an http://, https:// or file:// URL");
  EXPECT_EQ(SnapshotMirrorProblem("ftp://x"), "expected an http://, https:// or file:// URL");
  for (const char* bad : {"http://x/a b", "http://x/\"", "http://x/]", "http://x/[", "http://x/\\", "http://x/\t",
                          "http://x/\x7f", "http://x/'"})
    EXPECT_EQ(SnapshotMirrorProblem(bad), "must not contain spaces, quotes, brackets or control characters") << bad;
}

}  // namespace
}  // namespace kiln
