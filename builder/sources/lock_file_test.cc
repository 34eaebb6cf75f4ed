#include "builder/sources/lock_file.h"

#include <gtest/gtest.h>

#include "builder/common/files.h"

namespace kiln::sources {
namespace {

const std::string kHeader =
    "version = 1\nsuite = \"bookworm\"\nvariant = \"minbase\"\n"
    "mirror = \"http://deb.debian.org/debian\"\narchitecture = \"amd64\"\n"
    "components = [\"main\"]\nrequested = []\n";
const std::string kPkg =
    "\n[[package]]\nname = \"bash\"\nversion = \"5.2.15-2+b2\"\narchitecture = \"amd64\"\n"
    "sha256 = \"" + std::string(64, 'a') + "\"\n";

std::string ErrorOf(const std::string& text) {
  auto r = ParseLockFile(text, "app.toml.lock");
  return r.ok() ? std::string("(parsed)") : r.error().message;
}

TEST(LockFile, ReadsAGoodFileSorted) {
  auto lock = ReadLockFile(std::string(KILN_TESTDATA) + "/good.lock");
  ASSERT_TRUE(lock.ok()) << lock.error().ToString();
  EXPECT_EQ(lock->suite, "bookworm");
  EXPECT_EQ(lock->architecture, "amd64");
  EXPECT_EQ(lock->components, std::vector<std::string>{"main"});
  EXPECT_EQ(lock->requested, std::vector<std::string>{"busybox"});
  ASSERT_EQ(lock->packages.size(), 2u);
  EXPECT_EQ(lock->packages[0].name, "base-files");
  EXPECT_EQ(lock->packages[1].name, "busybox");
  EXPECT_EQ(lock->packages[1].version, "1:1.35.0-4+b3");
}

TEST(LockFile, FormatRoundTripsAndIsDeterministic) {
  auto lock = ReadLockFile(std::string(KILN_TESTDATA) + "/good.lock");
  ASSERT_TRUE(lock.ok());
  std::string text = FormatLockFile(*lock);
  auto again = ParseLockFile(text, "x.lock");
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(*again, *lock);
  LockFile reversed = *lock;
  std::reverse(reversed.packages.begin(), reversed.packages.end());
  EXPECT_EQ(FormatLockFile(reversed), text);
}

// Found by the fuzzer: control characters in a string were written back raw, which TOML
// forbids, so a formatted lock file did not parse.
TEST(LockFile, ControlCharactersRoundTrip) {
  auto lock = ReadLockFile(std::string(KILN_TESTDATA) + "/good.lock");
  ASSERT_TRUE(lock.ok());
  lock->requested = {std::string("bu\f\rsy\x7f\x01box"), "tab\there"};
  auto again = ParseLockFile(FormatLockFile(*lock), "x.lock");
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(again->requested, lock->requested);
}

TEST(LockFile, ErrorsNameLineAndColumn) {
  EXPECT_EQ(ErrorOf(kHeader + kPkg + "bogus = 1\n"),
            "app.toml.lock:14:1: unknown key 'bogus' in [[package]] #1 (allowed: architecture, name, sha256, version)");
  EXPECT_EQ(ErrorOf("pakages = 1\n" + kHeader + kPkg).substr(0, 46),
            "app.toml.lock:1:1: unknown key 'pakages' in th");
  EXPECT_EQ(ErrorOf(kHeader + "\n[[package]]\nname = \"bash\"\nversion = \"1\"\narchitecture = \"amd64\"\n"),
            "app.toml.lock:9:1: missing key 'sha256' in [[package]] #1");
  EXPECT_EQ(ErrorOf(kHeader + "\n[[package]]\nname = \"bash\"\nversion = 5\narchitecture = \"amd64\"\nsha256=\"x\"\n"),
            "app.toml.lock:11:11: 'version' in [[package]] #1 must be a string");
  EXPECT_EQ(ErrorOf(kHeader + "\n[[package]]\nname = \"bash\"\nversion = \"1\"\narchitecture = \"amd64\"\nsha256 = \"abc\"\n"),
            "app.toml.lock:13:10: sha256 of package bash must be 64 lowercase hex digits");
  EXPECT_EQ(ErrorOf(kHeader + "\n[[package]]\nname = \"Bad Name\"\nversion = \"1\"\narchitecture = \"amd64\"\nsha256 = \"" +
                    std::string(64, 'a') + "\"\n"),
            "app.toml.lock:10:8: invalid package name 'Bad Name' in [[package]] #1");
  EXPECT_EQ(ErrorOf(kHeader + kPkg + kPkg).substr(0, 57), "app.toml.lock:15:1: package bash:amd64 is listed twice");
  EXPECT_EQ(ErrorOf("version = 2\n"), "app.toml.lock:1:11: unsupported lock file version 2 (this kiln reads version 1)");
  EXPECT_EQ(ErrorOf(kHeader), "app.toml.lock:1:1: the lock file lists no [[package]]");
  std::string no_suite = kHeader;
  no_suite.erase(no_suite.find("suite"), std::string("suite = \"bookworm\"\n").size());
  EXPECT_EQ(ErrorOf(no_suite + kPkg), "app.toml.lock:1:1: missing key 'suite' in the lock file");
  EXPECT_EQ(ErrorOf("version = 1\nsuite = \n").substr(0, 19), "app.toml.lock:2:9: ");
}

TEST(LockFile, StaleLockIsDetected) {
  auto lock = ReadLockFile(std::string(KILN_TESTDATA) + "/good.lock");
  ASSERT_TRUE(lock.ok());
  DebianBaseSpec base;
  base.packages = {"busybox"};
  EXPECT_TRUE(CheckLockMatchesRecipe(*lock, base, "amd64", "a.lock").ok());
  base.packages = {"busybox", "curl"};
  Status s = CheckLockMatchesRecipe(*lock, base, "amd64", "a.lock");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kRecipe);
  EXPECT_EQ(s.error().message,
            "a.lock is stale: it was made for packages [busybox] but the recipe says [busybox,curl] (re-run `kiln lock`)");
  base.packages = {"busybox"};
  EXPECT_FALSE(CheckLockMatchesRecipe(*lock, base, "arm64", "a.lock").ok());
  base.suite = "trixie";
  EXPECT_FALSE(CheckLockMatchesRecipe(*lock, base, "amd64", "a.lock").ok());
}

TEST(LockFile, SnapshotRoundTripsAndIsWrittenOnlyWhenSet) {
  auto lock = ReadLockFile(std::string(KILN_TESTDATA) + "/good.lock");
  ASSERT_TRUE(lock.ok());
  const std::string plain = FormatLockFile(*lock);
  EXPECT_EQ(plain.find("snapshot"), std::string::npos);  // locks without one keep their bytes
  lock->snapshot = "20240101T000000Z";
  const std::string text = FormatLockFile(*lock);
  EXPECT_NE(text.find("\nmirror = \"http://deb.debian.org/debian\"\nsnapshot = \"20240101T000000Z\"\n"),
            std::string::npos)
      << text;
  auto again = ParseLockFile(text, "x.lock");
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(*again, *lock);
  EXPECT_EQ(FormatLockFile(*again), text);
}

TEST(LockFile, InvalidSnapshotIsAnError) {
  EXPECT_EQ(ErrorOf(kHeader + "snapshot = \"20240132T000000Z\"\n" + kPkg),
            "app.toml.lock:8:12: invalid snapshot '20240132T000000Z' (expected YYYYMMDDTHHMMSSZ, UTC)");
  EXPECT_EQ(ErrorOf(kHeader + "snapshot = 20240101\n" + kPkg), "app.toml.lock:8:12: 'snapshot' in the lock file must be a string");
  EXPECT_EQ(ErrorOf(kHeader + "snapshot = \"\"\n" + kPkg), "app.toml.lock:8:12: 'snapshot' in the lock file is empty");
}

TEST(LockFile, SnapshotOfTheRecipeMustMatchTheLock) {
  auto lock = ReadLockFile(std::string(KILN_TESTDATA) + "/good.lock");
  ASSERT_TRUE(lock.ok());
  DebianBaseSpec base;
  base.packages = {"busybox"};
  lock->snapshot = "20240101T000000Z";
  EXPECT_TRUE(CheckLockMatchesRecipe(*lock, base, "amd64", "a.lock").ok());  // the lock's snapshot is used
  base.snapshot = "20240101T000000Z";
  EXPECT_TRUE(CheckLockMatchesRecipe(*lock, base, "amd64", "a.lock").ok());
  base.snapshot = "20240201T000000Z";
  Status s = CheckLockMatchesRecipe(*lock, base, "amd64", "a.lock");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kRecipe);
  EXPECT_EQ(s.error().message, "a.lock is stale: it was made for snapshot 20240101T000000Z but the recipe says "
                               "20240201T000000Z (re-run `kiln lock`)");
  lock->snapshot.clear();
  s = CheckLockMatchesRecipe(*lock, base, "amd64", "a.lock");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("snapshot (none)"), std::string::npos) << s.error().message;
}

TEST(LockFile, PathsAndArchitectures) {
  EXPECT_EQ(LockPathFor("/r/app.toml"), std::filesystem::path("/r/app.toml.lock"));
  EXPECT_EQ(DebianArchitecture(Architecture::kX86_64), "amd64");
  EXPECT_EQ(DebianArchitecture(Architecture::kArm64), "arm64");
}

}  // namespace
}  // namespace kiln::sources
