#include "builder/disk/gpt.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include <gtest/gtest.h>
#include <zlib.h>
#include <nlohmann/json.hpp>

#include "builder/common/unique_fd.h"
#include "builder/disk/image_file.h"
#include "builder/disk/partition_types.h"
#include "builder/disk/test_util.h"

namespace kiln::disk {
namespace {

using testing::HaveTools;
using testing::MakeSparse;
using testing::RunOrFail;

constexpr std::uint64_t kMiB = 1024 * 1024;

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

DiskLayout SampleLayout() {
  DiskLayout l;
  l.disk_guid = Uuid::Parse("a1b2c3d4-e5f6-4789-8abc-def012345678").value();
  l.size_bytes = 64 * kMiB;
  auto part = [](PartitionRole role, const char* uuid, std::string label, std::uint64_t off,
                 std::uint64_t size, std::uint64_t attrs) {
    return Partition{PartitionTypeUuid(role, Architecture::kX86_64), Uuid::Parse(uuid).value(),
                     std::move(label), off, size, attrs};
  };
  l.partitions = {
      part(PartitionRole::kEsp, "11111111-2222-4333-8444-555555555551", "esp", 1 * kMiB, 8 * kMiB, 0),
      part(PartitionRole::kRoot, "11111111-2222-4333-8444-555555555552", "root-x86-64", 9 * kMiB,
           20 * kMiB, kAttrReadOnly),
      part(PartitionRole::kRootVerity, "11111111-2222-4333-8444-555555555553", "root-x86-64-verity",
           29 * kMiB, 1 * kMiB + 4096, kAttrReadOnly | kAttrNoAuto),
      part(PartitionRole::kLinuxGeneric, "11111111-2222-4333-8444-555555555554", "dätä ✓", 31 * kMiB,
           16 * kMiB, kAttrGrowFileSystem | kAttrRequired),
  };
  return l;
}

class GptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir::Create().value();
    image_ = dir_.path() / "disk.img";
  }
  void Write(const DiskLayout& l) {
    MakeSparse(image_, l.size_bytes);
    UniqueFd fd(::open(image_.c_str(), O_RDWR));
    ASSERT_GE(fd.get(), 0);
    Status s = WriteGpt(fd.get(), l);
    ASSERT_TRUE(s.ok()) << s.error().ToString();
  }
  Result<DiskLayout> Read(std::string* note = nullptr) {
    UniqueFd fd(::open(image_.c_str(), O_RDONLY));
    return ReadGpt(fd.get(), note);
  }
  void Corrupt(std::uint64_t offset) {
    UniqueFd fd(::open(image_.c_str(), O_RDWR));
    unsigned char b = 0;
    ASSERT_EQ(::pread(fd.get(), &b, 1, static_cast<off_t>(offset)), 1);
    b ^= 0x5a;
    ASSERT_EQ(::pwrite(fd.get(), &b, 1, static_cast<off_t>(offset)), 1);
  }
  TempDir dir_;
  std::filesystem::path image_;
};

TEST_F(GptTest, SfdiskSeesTheSameTable) {
  if (!HaveTools({"sfdisk"})) GTEST_SKIP() << "sfdisk not installed";
  DiskLayout l = SampleLayout();
  Write(l);
  auto j = nlohmann::json::parse(RunOrFail({"sfdisk", "--json", image_.string()}))["partitiontable"];
  EXPECT_EQ(j["label"], "gpt");
  EXPECT_EQ(j["id"], Upper(l.disk_guid.ToString()));
  EXPECT_EQ(j["sectorsize"], 512);
  EXPECT_EQ(j["firstlba"], 34);
  EXPECT_EQ(j["lastlba"], l.size_bytes / 512 - 34);
  ASSERT_EQ(j["partitions"].size(), l.partitions.size());
  const char* attrs[] = {nullptr, "GUID:60", "GUID:60,63", "RequiredPartition GUID:59"};
  for (std::size_t i = 0; i < l.partitions.size(); ++i) {
    const auto& p = j["partitions"][i];
    const Partition& want = l.partitions[i];
    EXPECT_EQ(p["type"], Upper(want.type.ToString())) << i;
    EXPECT_EQ(p["uuid"], Upper(want.uuid.ToString())) << i;
    EXPECT_EQ(p["name"], want.label) << i;
    EXPECT_EQ(p["start"], want.offset / 512) << i;
    EXPECT_EQ(p["size"], want.size / 512) << i;
    if (attrs[i]) EXPECT_EQ(p["attrs"], attrs[i]) << i;
    else EXPECT_FALSE(p.contains("attrs")) << i;
  }
  int rc = -1;
  std::string verify = RunOrFail({"sfdisk", "--verify", image_.string()}, {}, &rc);
  EXPECT_EQ(rc, 0) << verify;
  EXPECT_EQ(verify.find("roblem"), std::string::npos) << verify;
}

TEST_F(GptTest, RoundTrip) {
  DiskLayout l = SampleLayout();
  Write(l);
  std::string note;
  Result<DiskLayout> back = Read(&note);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(*back, l);
  EXPECT_TRUE(note.empty()) << note;
}

TEST_F(GptTest, CorruptPrimaryFallsBackToBackup) {
  DiskLayout l = SampleLayout();
  Write(l);
  Corrupt(512 + 60);  // inside the disk GUID of the primary header
  std::string note;
  Result<DiskLayout> back = Read(&note);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(*back, l);
  EXPECT_NE(note.find("bad CRC32"), std::string::npos) << note;
  EXPECT_NE(note.find("backup"), std::string::npos) << note;
}

TEST_F(GptTest, CorruptEntriesFallBackAndBothBadIsAnError) {
  DiskLayout l = SampleLayout();
  Write(l);
  Corrupt(2 * 512 + 40);  // primary entry 1's last LBA
  std::string note;
  Result<DiskLayout> back = Read(&note);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_NE(note.find("partition entries"), std::string::npos) << note;
  Corrupt(l.size_bytes - 512 + 20);  // backup header's CRC field
  back = Read();
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.error().code, ErrorCode::kIntegrity);
  EXPECT_NE(back.error().message.find("primary: GPT partition entries at LBA 2 have a bad CRC32"),
            std::string::npos) << back.error().message;
  EXPECT_NE(back.error().message.find("backup: GPT header at LBA"), std::string::npos) << back.error().message;
}

// Issue 14: a header whose entry array is huge but inside a (sparse) huge disk is refused
// before anything is allocated from its sizes (it was a bad_alloc).
TEST_F(GptTest, HugeEntryArrayIsRefusedBeforeAllocating) {
  DiskLayout l = SampleLayout();
  Write(l);
  std::filesystem::resize_file(image_, std::uint64_t{1} << 40);  // 1 TiB, sparse
  UniqueFd fd(::open(image_.c_str(), O_RDWR));
  ASSERT_GE(fd.get(), 0);
  unsigned char h[512];
  ASSERT_EQ(::pread(fd.get(), h, sizeof h, 512), 512);
  const std::uint32_t entry_size = 256u << 20;  // 128 entries of 256 MiB: 32 GiB
  for (int i = 0; i < 4; ++i) h[84 + i] = static_cast<unsigned char>(entry_size >> (8 * i));
  for (int i = 0; i < 4; ++i) h[80 + i] = static_cast<unsigned char>(128u >> (8 * i));
  for (int i = 0; i < 4; ++i) h[16 + i] = 0;
  const std::uint32_t header_size = h[12] | (h[13] << 8);
  const auto crc = static_cast<std::uint32_t>(::crc32(0, h, header_size));
  for (int i = 0; i < 4; ++i) h[16 + i] = static_cast<unsigned char>(crc >> (8 * i));
  ASSERT_EQ(::pwrite(fd.get(), h, sizeof h, 512), 512);
  Result<DiskLayout> back = Read();
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.error().message.find("unsupported entry array"), std::string::npos) << back.error().ToString();
}

TEST_F(GptTest, NoGptIsAnError) {
  MakeSparse(image_, 4 * kMiB);
  Result<DiskLayout> back = Read();
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.error().message.find("no 'EFI PART' signature at LBA 1"), std::string::npos);
}

TEST(GptValidate, RejectsBadLayouts) {
  DiskLayout l = SampleLayout();
  l.partitions[1].offset = 8 * kMiB;  // overlaps the ESP
  EXPECT_NE(ValidateLayout(l).error().message.find("overlap"), std::string::npos);
  l = SampleLayout();
  l.partitions[3].size = 40 * kMiB;  // runs into the backup GPT
  EXPECT_NE(ValidateLayout(l).error().message.find("outside the usable area"), std::string::npos);
  l = SampleLayout();
  l.partitions[0].label = std::string(37, 'x');
  EXPECT_NE(ValidateLayout(l).error().message.find("at most 36"), std::string::npos);
  l.partitions[0].label = std::string(36, 'x');
  EXPECT_TRUE(ValidateLayout(l).ok());
  l.partitions[0].offset += 100;
  EXPECT_FALSE(ValidateLayout(l).ok());
}

TEST(GptAttributes, Names) {
  EXPECT_EQ(AttributeNames(kAttrReadOnly | kAttrGrowFileSystem | kAttrRequired | (1ULL << 50)),
            (std::vector<std::string>{"required", "bit-50", "grow-file-system", "read-only"}));
  EXPECT_TRUE(AttributeNames(0).empty());
  EXPECT_EQ(AttributeNames(kAttrNoAuto), std::vector<std::string>{"no-auto"});
}

TEST(GptLabels, Utf16) {
  EXPECT_EQ(Utf8ToUtf16("a\xc3\xa4\xe2\x9c\x93\xf0\x9f\x98\x80").value(),
            (std::u16string{u'a', 0xe4, 0x2713, 0xd83d, 0xde00}));
  EXPECT_EQ(Utf16ToUtf8(Utf8ToUtf16("a\xc3\xa4\xe2\x9c\x93\xf0\x9f\x98\x80").value()),
            "a\xc3\xa4\xe2\x9c\x93\xf0\x9f\x98\x80");
  EXPECT_FALSE(Utf8ToUtf16("\xc3").ok());
  EXPECT_FALSE(Utf8ToUtf16("\xc0\x80").ok());  // overlong
}

}  // namespace
}  // namespace kiln::disk
