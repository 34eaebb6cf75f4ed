#include "builder/vmformats/gce.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "builder/common/files.h"
#include "builder/common/unique_fd.h"
#include "builder/disk/gpt.h"
#include "builder/vmformats/file_io.h"

namespace kiln::vmformats {
namespace {

namespace fs = std::filesystem;
constexpr std::uint64_t kMiB = 1 << 20;

TEST(GceTest, GnuTarHeader) {
  std::string h = GnuTarHeader("disk.raw", kGiB, 1700000000);
  ASSERT_EQ(h.size(), 512u);
  EXPECT_EQ(h.substr(0, 9), std::string("disk.raw\0", 9));
  EXPECT_EQ(h.substr(124, 12), std::string("10000000000\0", 12));  // 1 GiB in octal
  EXPECT_EQ(h.substr(257, 8), std::string("ustar  \0", 8));
  EXPECT_EQ(h[156], '0');
  unsigned sum = 0;
  for (std::size_t i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
  EXPECT_EQ(std::stoul(h.substr(148, 6), nullptr, 8), sum);
  // Past 8 GiB: GNU base-256.
  std::string big = GnuTarHeader("disk.raw", 9 * kGiB, 0);
  EXPECT_EQ(static_cast<unsigned char>(big[124]), 0x80);
  EXPECT_EQ(GetBe(big, 128, 8), 9 * kGiB);
}

TEST(GceTest, PaddedDiskKeepsPartitionsAndMovesTheBackupGpt) {
  auto tmp = TempDir::Create();
  ASSERT_TRUE(tmp.ok());
  const fs::path raw = tmp->path() / "d.raw";
  disk::DiskLayout layout;
  layout.disk_guid = *Uuid::Parse("11111111-2222-4333-8444-555555555555");
  layout.size_bytes = 4 * kMiB;
  layout.partitions.push_back({*Uuid::Parse("0fc63daf-8483-4772-8e79-3d69d8477de4"),
                               *Uuid::Parse("aaaaaaaa-2222-4333-8444-555555555555"), "data", kMiB, 2 * kMiB, 0});
  {
    UniqueFd fd(::open(raw.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644));
    ASSERT_TRUE(fd.valid());
    ASSERT_TRUE(disk::WriteGpt(fd.get(), layout).ok());
    ASSERT_TRUE(WriteAt(fd.get(), std::string(2 * kMiB, 'p'), kMiB, "raw").ok());
  }
  std::string padded;
  ASSERT_TRUE(StreamPaddedDisk(raw, 8 * kMiB, [&](std::string_view d) {
                padded.append(d);
                return OkStatus();
              }).ok());
  ASSERT_EQ(padded.size(), 8 * kMiB);
  EXPECT_EQ(padded.substr(kMiB, 2 * kMiB), std::string(2 * kMiB, 'p'));
  // The old backup's place is zero now; a valid GPT for 8 MiB with the same partitions.
  EXPECT_EQ(padded.substr(4 * kMiB - 33 * 512, 33 * 512), std::string(33 * 512, '\0'));
  UniqueFd mem(::memfd_create("t", 0));
  ASSERT_TRUE(WriteAt(mem.get(), padded, 0, "mem").ok());
  std::string note;
  auto read = disk::ReadGpt(mem.get(), &note);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(note, "");
  EXPECT_EQ(read->partitions, layout.partitions);
  EXPECT_EQ(read->disk_guid, layout.disk_guid);
  EXPECT_EQ(read->size_bytes, 8 * kMiB);
}

}  // namespace
}  // namespace kiln::vmformats
