#include "builder/common/cache_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/common/files.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

mode_t ModeOf(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

TEST(CacheKey, MacIsHmacSha256) {
  CacheKey::Bytes b{};
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(i * 7 + 1);
  CacheKey key(b);
  const std::string msg = "kiln cache entry";
  EXPECT_EQ(key.Seal(msg), HmacSha256(std::span<const std::uint8_t>(b), msg));
  CacheKey::Mac m = key.Start();
  m.Update("kiln ");
  m.Update("cache entry");
  EXPECT_EQ(m.Finish(), key.Seal(msg));
  b[0] ^= 1;
  EXPECT_NE(CacheKey(b).Seal(msg), key.Seal(msg));
}

TEST(CacheKey, CreatedPrivateOnFirstUseThenReused) {
  auto tmp = TempDir::Create();
  ASSERT_TRUE(tmp.ok());
  const fs::path dir = tmp->path() / "a" / "kiln";
  auto k1 = LoadCacheKey(dir);
  ASSERT_TRUE(k1.ok()) << k1.error().ToString();
  EXPECT_EQ(ModeOf(dir), 0700u);
  EXPECT_EQ(ModeOf(dir / kCacheKeyFile), 0600u);
  EXPECT_EQ(fs::file_size(dir / kCacheKeyFile), 32u);
  auto k2 = LoadCacheKey(dir);
  ASSERT_TRUE(k2.ok());
  EXPECT_EQ(k1->Seal("x"), k2->Seal("x"));
  // Another cache directory has another key: entries do not move between them.
  auto k3 = LoadCacheKey(tmp->path() / "b");
  ASSERT_TRUE(k3.ok());
  EXPECT_NE(k1->Seal("x"), k3->Seal("x"));
}

TEST(CacheKey, LooseDirectoryIsMadePrivate) {
  auto tmp = TempDir::Create();
  ASSERT_TRUE(tmp.ok());
  const fs::path dir = tmp->path() / "kiln";
  ASSERT_EQ(::mkdir(dir.c_str(), 0777), 0);
  ASSERT_EQ(::chmod(dir.c_str(), 0777), 0);
  ASSERT_TRUE(EnsurePrivateDir(dir).ok());
  EXPECT_EQ(ModeOf(dir), 0700u);
}

TEST(CacheKey, ReadableKeyOrSymlinkIsRefused) {
  auto tmp = TempDir::Create();
  ASSERT_TRUE(tmp.ok());
  const fs::path dir = tmp->path() / "kiln";
  ASSERT_TRUE(LoadCacheKey(dir).ok());
  ASSERT_EQ(::chmod((dir / kCacheKeyFile).c_str(), 0644), 0);
  auto loose = LoadCacheKey(dir);
  ASSERT_FALSE(loose.ok());
  EXPECT_EQ(loose.error().code, ErrorCode::kIntegrity);
  EXPECT_NE(loose.error().message.find("not private"), std::string::npos) << loose.error().message;

  // A key planted as a symbolic link (to a file the attacker knows) is not followed.
  fs::remove(dir / kCacheKeyFile);
  ASSERT_TRUE(WriteFile(tmp->path() / "known", std::string(32, 'k'), 0600).ok());
  fs::create_symlink(tmp->path() / "known", dir / kCacheKeyFile);
  EXPECT_FALSE(LoadCacheKey(dir).ok());

  // A wrong size is refused too.
  fs::remove(dir / kCacheKeyFile);
  ASSERT_TRUE(WriteFile(dir / kCacheKeyFile, "short", 0600).ok());
  EXPECT_FALSE(LoadCacheKey(dir).ok());
}

TEST(CacheKey, SymlinkedCacheDirectoryIsRefused) {
  auto tmp = TempDir::Create();
  ASSERT_TRUE(tmp.ok());
  ASSERT_EQ(::mkdir((tmp->path() / "real").c_str(), 0700), 0);
  fs::create_symlink(tmp->path() / "real", tmp->path() / "link");
  Status s = EnsurePrivateDir(tmp->path() / "link");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kUsage);
}

TEST(CacheKey, AnotherUsersDirectoryIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to make a directory owned by someone else";
  auto tmp = TempDir::Create();
  ASSERT_TRUE(tmp.ok());
  const fs::path dir = tmp->path() / "theirs";
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0);
  Status s = EnsurePrivateDir(dir);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kUsage);
  EXPECT_NE(s.error().message.find("belongs to uid 65534"), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace kiln
