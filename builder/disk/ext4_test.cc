#include "builder/disk/ext4.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "builder/disk/test_util.h"

namespace kiln::disk {
namespace {

namespace fs = std::filesystem;
using testing::HaveTools;
using testing::MakeSparse;
using testing::RunOrFail;
using testing::Slurp;

constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr std::int64_t kEpoch = 1700000000;

void SetMtime(const fs::path& p, std::int64_t t) {
  struct timespec ts[2] = {{static_cast<time_t>(t), 0}, {static_cast<time_t>(t), 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), ts, AT_SYMLINK_NOFOLLOW), 0);
}

class Ext4Test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveTools({"mke2fs", "debugfs", "dumpe2fs", "e2fsck"})) GTEST_SKIP() << "e2fsprogs not installed";
    dir_ = TempDir::Create().value();
    seed_ = dir_.path() / "seed";
    fs::create_directories(seed_ / "app" / "cache");
    ASSERT_TRUE(WriteFile(seed_ / "hello.txt", "hello, data\n", 0644).ok());
    ASSERT_TRUE(WriteFile(seed_ / "app" / "state.db", std::string(100000, 'x'), 0600).ok());
    ASSERT_TRUE(WriteFile(seed_ / "old.txt", "old\n", 0640).ok());
    fs::create_symlink("hello.txt", seed_ / "link");
    fs::create_hard_link(seed_ / "hello.txt", seed_ / "app" / "hello-again.txt");
    ::chmod(seed_.c_str(), 0700);
    ::chmod((seed_ / "app").c_str(), 0755);
    ::chmod((seed_ / "app" / "cache").c_str(), 0750);
    SetMtime(seed_ / "old.txt", kEpoch - 86400);
    // Files the builder owns under a foreign uid must still come out as 0:0.
    if (::geteuid() == 0) {
      for (auto& e : fs::recursive_directory_iterator(seed_))
        ASSERT_EQ(::lchown(e.path().c_str(), 1000, 1000), 0);
    }
  }
  Ext4Spec Spec(const fs::path& image) {
    Ext4Spec s;
    s.image = image;
    s.offset = 3 * kMiB;
    s.size = 16 * kMiB;
    s.label = "data";
    s.uuid = Uuid::Parse("2f1e8a6c-3c55-4a1a-9d2e-0a1b2c3d4e5f").value();
    s.hash_seed = Uuid::Parse("5a5a5a5a-1234-4abc-8def-000000000001").value();
    s.seed_dir = seed_;
    s.source_date_epoch = kEpoch;
    return s;
  }
  std::string Dev(const Ext4Spec& s) { return s.image.string() + "?offset=" + std::to_string(s.offset); }

  TempDir dir_;
  fs::path seed_;
};

TEST_F(Ext4Test, ReproducibleAcrossTouchesAndUmask) {
  fs::path a = dir_.path() / "a.img", b = dir_.path() / "b.img";
  MakeSparse(a, 20 * kMiB);
  Status s = MakeExt4(Spec(a));
  ASSERT_TRUE(s.ok()) << s.error().ToString();

  // Between builds: read every file (atime), touch some (mtime/ctime), change the umask.
  Slurp(seed_ / "hello.txt");
  Slurp(seed_ / "app" / "state.db");
  SetMtime(seed_ / "hello.txt", kEpoch + 5000);
  ::chmod((seed_ / "app" / "state.db").c_str(), 0600);  // ctime
  mode_t old = ::umask(0077);
  MakeSparse(b, 20 * kMiB);
  s = MakeExt4(Spec(b));
  ::umask(old);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(Slurp(a) == Slurp(b)) << "two builds differ";
}

TEST_F(Ext4Test, JudgedByE2fsprogs) {
  fs::path img = dir_.path() / "disk.img";
  MakeSparse(img, 20 * kMiB);
  Ext4Spec spec = Spec(img);
  Status s = MakeExt4(spec);
  ASSERT_TRUE(s.ok()) << s.error().ToString();

  int rc = -1;
  std::string fsck = RunOrFail({"e2fsck", "-fn", Dev(spec)}, {}, &rc);
  EXPECT_EQ(rc, 0) << fsck;

  std::string header = RunOrFail({"dumpe2fs", "-h", Dev(spec)});
  EXPECT_NE(header.find("Filesystem volume name:   data\n"), std::string::npos) << header;
  EXPECT_NE(header.find("Filesystem UUID:          2f1e8a6c-3c55-4a1a-9d2e-0a1b2c3d4e5f"), std::string::npos);
  EXPECT_NE(header.find("Directory Hash Seed:      5a5a5a5a-1234-4abc-8def-000000000001"), std::string::npos);
  EXPECT_NE(header.find("Block count:              4096\n"), std::string::npos) << header;
  EXPECT_NE(header.find("metadata_csum"), std::string::npos);
  EXPECT_NE(header.find("has_journal"), std::string::npos);

  std::string stat = RunOrFail({"debugfs", "-R", "stat /app/state.db", Dev(spec)});
  EXPECT_NE(stat.find("User:     0   Group:     0"), std::string::npos) << stat;
  EXPECT_NE(stat.find("Mode:  0600"), std::string::npos) << stat;
  // Touched after SOURCE_DATE_EPOCH (now): clamped; every time field equals the epoch.
  for (const char* f : {"ctime", " atime", " mtime", "crtime"})
    EXPECT_NE(stat.find(std::string(f) + ": 0x6553f100:00000000"), std::string::npos) << f << "\n" << stat;
  // Older than the epoch: the mtime is kept.
  std::string old = RunOrFail({"debugfs", "-R", "stat /old.txt", Dev(spec)});
  EXPECT_NE(old.find(" mtime: 0x65529f80:00000000"), std::string::npos) << old;
  EXPECT_NE(old.find("User:     0   Group:     0"), std::string::npos) << old;

  std::string root = RunOrFail({"debugfs", "-R", "stat /", Dev(spec)});
  EXPECT_NE(root.find("Mode:  0755"), std::string::npos) << root;
  EXPECT_NE(root.find("User:     0   Group:     0"), std::string::npos) << root;

  EXPECT_EQ(RunOrFail({"debugfs", "-R", "cat /hello.txt", Dev(spec)}), "hello, data\n");
  EXPECT_EQ(RunOrFail({"debugfs", "-R", "cat /app/hello-again.txt", Dev(spec)}), "hello, data\n");
  EXPECT_EQ(RunOrFail({"debugfs", "-R", "cat /app/state.db", Dev(spec)}), std::string(100000, 'x'));
  std::string ls = RunOrFail({"debugfs", "-R", "ls -l /", Dev(spec)});
  EXPECT_NE(ls.find("lost+found"), std::string::npos) << ls;
  std::string link = RunOrFail({"debugfs", "-R", "stat /link", Dev(spec)});
  EXPECT_NE(link.find("Fast link dest: \"hello.txt\""), std::string::npos) << link;

  // The partition's neighbours are untouched.
  std::string bytes = Slurp(img);
  EXPECT_EQ(bytes.substr(0, spec.offset), std::string(spec.offset, '\0'));
  EXPECT_EQ(bytes.substr(spec.offset + spec.size), std::string(bytes.size() - spec.offset - spec.size, '\0'));
}

TEST_F(Ext4Test, EmptyWithoutSeed) {
  fs::path img = dir_.path() / "empty.img";
  Ext4Spec spec = Spec(img);
  spec.seed_dir.reset();
  spec.offset = 0;
  Status s = MakeExt4(spec);  // creates the file
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(fs::file_size(img), spec.size);
  int rc = -1;
  std::string fsck = RunOrFail({"e2fsck", "-fn", img.string()}, {}, &rc);
  EXPECT_EQ(rc, 0) << fsck;
  std::string ls = RunOrFail({"debugfs", "-R", "ls /", img.string()});
  EXPECT_NE(ls.find("lost+found"), std::string::npos) << ls;
  fs::path again = dir_.path() / "again.img";
  spec.image = again;
  ASSERT_TRUE(MakeExt4(spec).ok());
  EXPECT_TRUE(Slurp(img) == Slurp(again));
}

TEST_F(Ext4Test, Errors) {
  Ext4Spec spec = Spec(dir_.path() / "x.img");
  spec.seed_dir = dir_.path() / "missing";
  Status s = MakeExt4(spec);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInput);
  EXPECT_NE(s.error().message.find("missing"), std::string::npos);
  spec = Spec(dir_.path() / "x.img");
  spec.size = 5000;
  EXPECT_FALSE(MakeExt4(spec).ok());
  spec = Spec(dir_.path() / "x.img");
  spec.label = "a-label-that-is-too-long";
  EXPECT_FALSE(MakeExt4(spec).ok());
}

}  // namespace
}  // namespace kiln::disk
