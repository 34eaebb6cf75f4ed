#include "builder/common/confined_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "builder/common/files.h"

namespace kiln {
namespace {

TEST(ConfinedFile, OpensRegularFilesBelowTheDirectoryOnly) {
  auto tmp = TempDir::Create().value();
  auto dir = tmp.path() / "out";
  std::filesystem::create_directories(dir / "sub");
  ASSERT_TRUE(WriteFile(dir / "sub" / "a", "abc").ok());
  ASSERT_TRUE(WriteFile(tmp.path() / "secret", "s").ok());
  std::filesystem::create_symlink(tmp.path() / "secret", dir / "link");
  std::filesystem::create_directory_symlink(tmp.path(), dir / "up");
  std::filesystem::create_symlink("/dev/zero", dir / "zero");
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  auto d = OpenDirectory(dir).value();

  auto a = OpenConfined(d.get(), "sub/a");
  ASSERT_TRUE(a.ok()) << a.error().ToString();
  auto digest = Sha256Fd(a->get()).value();
  EXPECT_EQ(digest.size, 3u);
  EXPECT_EQ(digest.sha256, Sha256Of("abc"));
  EXPECT_EQ(ReadConfined(d.get(), "sub/a", 3).value(), "abc");
  EXPECT_FALSE(ReadConfined(d.get(), "sub/a", 2).ok());

  for (const char* bad : {"link", "up/secret", "zero", "fifo", "sub", "../secret", "/dev/zero", "sub/../sub/a", ""}) {
    auto r = OpenConfined(d.get(), bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kInput) << bad;
    }
  }
}

TEST(ConfinedFile, RelativePathRules) {
  EXPECT_TRUE(IsConfinedRelativePath("x.oci/blobs/sha256/ab"));
  EXPECT_TRUE(IsConfinedRelativePath("name with space"));
  EXPECT_FALSE(IsConfinedRelativePath("/abs"));
  EXPECT_FALSE(IsConfinedRelativePath("a/"));
  EXPECT_FALSE(IsConfinedRelativePath("a\nb"));
  EXPECT_FALSE(IsConfinedRelativePath(".."));
  EXPECT_FALSE(IsConfinedRelativePath("."));
}

}  // namespace
}  // namespace kiln
