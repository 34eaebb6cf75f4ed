#include "builder/disk/vfat.h"

#include <sys/stat.h>

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
constexpr std::int64_t kEpoch = 1700000000;  // 2023-11-14 22:13:20 UTC

void SetMtime(const fs::path& p, std::int64_t t) {
  struct timespec ts[2] = {{static_cast<time_t>(t), 0}, {static_cast<time_t>(t), 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), ts, 0), 0);
}

class VfatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveTools({"mkfs.vfat", "mcopy", "mdir", "mtype", "fsck.vfat"})) GTEST_SKIP() << "dosfstools/mtools not installed";
    dir_ = TempDir::Create().value();
    ASSERT_TRUE(WriteFile(dir_.path() / "loader.efi", std::string(70000, 'L')).ok());
    ASSERT_TRUE(WriteFile(dir_.path() / "uki.efi", "unified kernel image\n").ok());
    ASSERT_TRUE(WriteFile(dir_.path() / "loader.conf", "timeout 0\n").ok());
  }
  VfatSpec Spec(const fs::path& image) {
    VfatSpec s;
    s.image = image;
    s.offset = kMiB;
    s.size = 16 * kMiB;
    s.label = "ESP";
    s.volume_id = 0x1234abcd;
    s.source_date_epoch = kEpoch;
    // Deliberately unsorted: MakeVfat sorts.
    s.files = {{dir_.path() / "uki.efi", "/EFI/Linux/appliance_1.0.0.efi"},
               {dir_.path() / "loader.efi", "/EFI/BOOT/BOOTX64.EFI"},
               {dir_.path() / "loader.conf", "/loader/loader.conf"},
               {dir_.path() / "loader.efi", "EFI/systemd/systemd-bootx64.efi"}};
    return s;
  }
  std::string Drive(const VfatSpec& s) { return s.image.string() + "@@" + std::to_string(s.offset); }
  TempDir dir_;
};

TEST_F(VfatTest, ReproducibleAndReadable) {
  fs::path a = dir_.path() / "a.img", b = dir_.path() / "b.img";
  MakeSparse(a, 18 * kMiB);
  VfatSpec spec = Spec(a);
  Status s = MakeVfat(spec);
  ASSERT_TRUE(s.ok()) << s.error().ToString();

  // The sources' own times and the umask must not matter.
  SetMtime(dir_.path() / "uki.efi", kEpoch + 123457);
  mode_t old = ::umask(0077);
  MakeSparse(b, 18 * kMiB);
  s = MakeVfat(Spec(b));
  ::umask(old);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(Slurp(a) == Slurp(b)) << "two builds differ";

  std::string listing = RunOrFail({"mdir", "-i", Drive(spec), "-/", "::/"});
  EXPECT_NE(listing.find("Volume Serial Number is 1234-ABCD"), std::string::npos) << listing;
  EXPECT_NE(listing.find("BOOTX64  EFI     70000 2023-11-14  22:13"), std::string::npos) << listing;
  EXPECT_NE(listing.find("appliance_1.0.0.efi"), std::string::npos) << listing;
  EXPECT_NE(listing.find("loader.conf"), std::string::npos) << listing;
  EXPECT_EQ(RunOrFail({"mtype", "-i", Drive(spec), "::/EFI/Linux/appliance_1.0.0.efi"}), "unified kernel image\n");
  EXPECT_EQ(RunOrFail({"mtype", "-i", Drive(spec), "::/loader/loader.conf"}), "timeout 0\n");

  // fsck.vfat has no offset option: judge a copy of the partition.
  std::string bytes = Slurp(a);
  fs::path part = dir_.path() / "part.img";
  ASSERT_TRUE(WriteFile(part, bytes.substr(spec.offset, spec.size)).ok());
  int rc = -1;
  std::string fsck = RunOrFail({"fsck.vfat", "-n", part.string()}, {}, &rc);
  EXPECT_EQ(rc, 0) << fsck;
  EXPECT_EQ(bytes.substr(0, spec.offset), std::string(spec.offset, '\0'));
}

TEST_F(VfatTest, Fat32FromTheEspMinimum) {
  fs::path img = dir_.path() / "big.img";
  VfatSpec spec = Spec(img);
  spec.offset = 0;
  spec.size = 260 * kMiB;
  ASSERT_TRUE(MakeVfat(spec).ok());
  std::string boot(512, '\0');
  std::ifstream(img, std::ios::binary).read(boot.data(), 512);
  EXPECT_EQ(boot.substr(82, 8), "FAT32   ");
  EXPECT_EQ(RunOrFail({"mtype", "-i", img.string(), "::/EFI/BOOT/BOOTX64.EFI"}), std::string(70000, 'L'));
}

TEST_F(VfatTest, Errors) {
  VfatSpec spec = Spec(dir_.path() / "x.img");
  spec.files.push_back({dir_.path() / "uki.efi", "/EFI/BOOT/BOOTX64.EFI"});
  Status s = MakeVfat(spec);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("two files go to /EFI/BOOT/BOOTX64.EFI"), std::string::npos);
  spec = Spec(dir_.path() / "x.img");
  spec.files[0].source = dir_.path() / "nope.efi";
  s = MakeVfat(spec);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInput);
  EXPECT_NE(s.error().message.find("nope.efi"), std::string::npos);
  spec = Spec(dir_.path() / "x.img");
  spec.files.push_back({dir_.path() / "uki.efi", "/efi/Linux/other.efi"});
  s = MakeVfat(spec);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("FAT ignores case"), std::string::npos) << s.error().message;
  spec = Spec(dir_.path() / "x.img");
  spec.files.push_back({dir_.path() / "uki.efi", "/EFI/BOOT"});
  s = MakeVfat(spec);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("both a file and a directory"), std::string::npos) << s.error().message;
  spec = Spec(dir_.path() / "x.img");
  spec.label = "TWELVE_CHARS";
  EXPECT_FALSE(MakeVfat(spec).ok());
}

TEST(VfatVolumeId, FirstFourBytes) {
  EXPECT_EQ(VfatVolumeId(Uuid::Parse("deadbeef-0000-4000-8000-000000000000").value()), 0xdeadbeefu);
}

}  // namespace
}  // namespace kiln::disk
