#include "builder/common/leftovers.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "builder/common/files.h"
#include "builder/common/subprocess.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

// What a SIGKILLed kiln leaves: a TempDir whose process died without running destructors.
fs::path AbandonedTempDir(const fs::path& parent, const std::string& prefix) {
  int pipefd[2];
  EXPECT_EQ(::pipe(pipefd), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    auto dir = TempDir::Create(parent, prefix);
    std::string path = dir.ok() ? dir->path().string() : "";
    [[maybe_unused]] ssize_t n = ::write(pipefd[1], path.data(), path.size());
    ::_exit(0);  // no destructors: the directory stays, its lock dies with the process
  }
  ::close(pipefd[1]);
  char buf[4096];
  ssize_t n = ::read(pipefd[0], buf, sizeof buf);
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return n > 0 ? fs::path(std::string(buf, static_cast<std::size_t>(n))) : fs::path();
}

TEST(LeftoversTest, SweepRemovesAKilledRunsDirectoryAndKeepsALiveOne) {
  auto parent = TempDir::Create();
  ASSERT_TRUE(parent.ok());
  fs::path dead = AbandonedTempDir(parent->path(), ".kiln-staging");
  ASSERT_FALSE(dead.empty());
  ASSERT_TRUE(fs::is_directory(dead));
  // Read-only directories inside, as a staged root has.
  fs::create_directories(dead / "root/usr");
  std::ofstream(dead / "root/usr/file") << "x";
  fs::permissions(dead / "root/usr", fs::perms(0555));
  fs::permissions(dead / "root", fs::perms(0555));
  auto live = TempDir::Create(parent->path(), ".kiln-staging");
  ASSERT_TRUE(live.ok());

  // Too young: it may be a concurrent run's directory not yet locked.
  EXPECT_EQ(SweepAbandonedDirs(parent->path(), ".kiln-staging", seconds(3600)), 0u);
  EXPECT_TRUE(fs::exists(dead));
  EXPECT_EQ(SweepAbandonedDirs(parent->path(), ".kiln-staging", seconds(0)), 1u);
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::is_directory(live->path()));
}

TEST(LeftoversTest, SweepTouchesOnlyMatchingDirectoriesOfThisUser) {
  auto parent = TempDir::Create();
  ASSERT_TRUE(parent.ok());
  const fs::path& p = parent->path();
  fs::create_directory(p / ".kiln-staging-abc");        // not six characters
  fs::create_directory(p / ".kiln-staging-ab_def");     // not mkdtemp's alphabet
  fs::create_directory(p / "other-abcdef");             // another prefix
  std::ofstream(p / ".kiln-staging-FILE01") << "a file";  // not a directory
  auto target = TempDir::Create();
  ASSERT_TRUE(target.ok());
  std::ofstream(target->path() / "keep") << "keep";
  fs::create_directory_symlink(target->path(), p / ".kiln-staging-LINK01");  // never followed
  EXPECT_EQ(SweepAbandonedDirs(p, ".kiln-staging", seconds(0)), 0u);
  for (const char* name : {".kiln-staging-abc", ".kiln-staging-ab_def", "other-abcdef", ".kiln-staging-FILE01",
                           ".kiln-staging-LINK01"})
    EXPECT_TRUE(fs::exists(fs::symlink_status(p / name))) << name;
  EXPECT_TRUE(fs::exists(target->path() / "keep"));
}

TEST(LeftoversTest, TempDirSweepMatchesKilnNamesOnly) {
  auto parent = TempDir::Create();
  ASSERT_TRUE(parent.ok());
  const fs::path& p = parent->path();
  std::string old_tmpdir = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "";
  ::setenv("TMPDIR", p.c_str(), 1);
  for (const char* name : {"kiln-abcdef", "kiln-boot-ABC123", "kiln-verify-esp-a1b2c3"})
    fs::create_directory(p / name);
  for (const char* name : {"kilnx-abcdef", "kiln--abcdef", "kiln-Boot-abcdef", "xkiln-abcdef", "kiln-abcdef-"})
    fs::create_directory(p / name);
  EXPECT_EQ(SweepAbandonedTempDirs(seconds(0)), 3u);
  EXPECT_FALSE(fs::exists(p / "kiln-boot-ABC123"));
  for (const char* name : {"kilnx-abcdef", "kiln--abcdef", "kiln-Boot-abcdef", "xkiln-abcdef", "kiln-abcdef-"})
    EXPECT_TRUE(fs::exists(p / name)) << name;
  if (old_tmpdir.empty()) ::unsetenv("TMPDIR");
  else ::setenv("TMPDIR", old_tmpdir.c_str(), 1);
}

TEST(LeftoversTest, ReleasedDirectoryIsNoLongerLockedOrRemoved) {
  auto parent = TempDir::Create();
  ASSERT_TRUE(parent.ok());
  auto dir = TempDir::Create(parent->path(), ".kiln-pull");
  ASSERT_TRUE(dir.ok());
  fs::path kept = dir->Release();
  dir = TempDir();  // the moved-from owner removes nothing
  EXPECT_TRUE(fs::is_directory(kept));
}

// The signal path: children are stopped, then every live directory removed.
TEST(LeftoversTest, CleanUpStopsChildrenAndRemovesLiveDirectories) {
  auto dir = TempDir::Create();
  ASSERT_TRUE(dir.ok());
  fs::path path = dir->path();
  std::ofstream(path / "partial.raw") << "half an image";
  int exit_code = -1;
  std::thread runner([&] {
    ProcessSpec spec;
    spec.argv = {"sleep", "60"};
    auto r = RunProcess(spec);
    if (r.ok()) exit_code = r->exit_code;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto started = std::chrono::steady_clock::now();
  CleanUpLiveResources(std::chrono::seconds(5));
  runner.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  EXPECT_EQ(exit_code, 128 + SIGTERM);
  EXPECT_FALSE(fs::exists(path));
}

}  // namespace
}  // namespace kiln
