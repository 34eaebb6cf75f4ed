#include "builder/flash/flash.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <gtest/gtest.h>

#include <fcntl.h>

#include "builder/common/files.h"
#include "builder/common/unique_fd.h"
#include "builder/disk/gpt.h"
#include "builder/flash/from_registry.h"
#include "builder/flash/target_check.h"
#include "builder/registry/artifact.h"
#include "builder/registry/disk_artifact.h"
#include "builder/registry/distribution.h"
#include "builder/registry/fake_registry.h"
#include "builder/vmformats/bmap.h"

namespace kiln::flash {
namespace {

namespace fs = std::filesystem;

TEST(TargetCheckTest, ParsesMountinfo) {
  auto m = ParseMountinfo(
      "22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw\n"
      "40 22 0:45 /img /mnt/with\\040space rw - tmpfs tmpfs rw\n");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].major, 8u);
  EXPECT_EQ(m[0].minor, 2u);
  EXPECT_EQ(m[0].source, "/dev/sda2");
  EXPECT_EQ(m[1].mount_point, "/mnt/with space");
}

TEST(TargetCheckTest, RefusesMountedFilesAndDevices) {
  const std::string info = "40 22 0:45 /img /tmp/target.img rw - tmpfs tmpfs rw\n22 1 7:0 / /mnt rw - ext4 /dev/loop0 rw\n";
  Status s = CheckTargetFreeIn("/tmp/target.img", false, 0, info);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kUsage);
  EXPECT_NE(s.error().message.find("mounted"), std::string::npos);
  EXPECT_TRUE(CheckTargetFreeIn("/tmp/other.img", false, 0, info).ok());
  Status dev = CheckTargetFreeIn("/dev/loop0", true, makedev(7, 0), info);
  ASSERT_FALSE(dev.ok());
  EXPECT_NE(dev.error().message.find("/mnt"), std::string::npos);
  EXPECT_TRUE(CheckTargetFreeIn("/dev/loop1", true, makedev(7, 1), info).ok());
}

class FlashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::Create();
    ASSERT_TRUE(t.ok());
    tmp_ = std::move(*t);
    image_ = std::string(64 * 1024, '\0');
    for (std::size_t i = 4096; i < 12288; ++i) image_[i] = static_cast<char>(i);
    image_[40000] = 'z';
    ASSERT_TRUE(WriteFile(path("img.raw"), image_).ok());
  }
  fs::path path(const std::string& n) const { return tmp_.path() / n; }
  TempDir tmp_;
  std::string image_;
};

TEST_F(FlashTest, WritesMappedRangesToAFile) {
  // Old content in unmapped blocks stays: a block map writes only what it maps.
  ASSERT_TRUE(WriteFile(path("target"), std::string(64 * 1024, 'o')).ok());
  auto r = Flash({path("img.raw"), {}, path("target")}, {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->bmap_source, "computed");
  EXPECT_EQ(r->ranges, 2u);
  auto out = ReadFile(path("target"));
  EXPECT_EQ(out->substr(4096, 8192), image_.substr(4096, 8192));
  EXPECT_EQ(out->substr(36864, 4096), image_.substr(36864, 4096));
  EXPECT_EQ(out->substr(0, 4096), std::string(4096, 'o'));
}

TEST_F(FlashTest, ReadBackCatchesAnImageThatDiffersFromItsMap) {
  auto map = vmformats::ComputeBlockMap(path("img.raw"));
  ASSERT_TRUE(map.ok());
  ASSERT_TRUE(WriteFile(path("img.bmap"), vmformats::FormatBmap(*map)).ok());
  std::string flipped = image_;
  flipped[5000] ^= 1;
  ASSERT_TRUE(WriteFile(path("img.raw"), flipped).ok());
  auto r = Flash({path("img.raw"), {}, path("new-target")}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIntegrity);
  EXPECT_NE(r.error().message.find("blocks 1-2 (bytes 4096..12287)"), std::string::npos) << r.error().message;
}

TEST_F(FlashTest, RefusesABmapOfAnotherSize) {
  vmformats::BlockMap m;
  m.image_size = 4096;
  m.blocks_count = 1;
  ASSERT_TRUE(WriteFile(path("other.bmap"), vmformats::FormatBmap(m)).ok());
  auto r = Flash({path("img.raw"), path("other.bmap"), path("t2")}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("its block map says 4096"), std::string::npos);
}

TEST_F(FlashTest, MovesTheBackupGptToTheEndOfALargerTarget) {
  disk::DiskLayout layout;
  layout.disk_guid = *Uuid::Parse("11111111-2222-4333-8444-555555555555");
  layout.size_bytes = 1 << 20;
  layout.partitions.push_back({*Uuid::Parse("0fc63daf-8483-4772-8e79-3d69d8477de4"),
                               *Uuid::Parse("aaaaaaaa-2222-4333-8444-555555555555"), "data", 512 * 1024, 256 * 1024, 0});
  {
    UniqueFd fd(::open(path("gpt.raw").c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644));
    ASSERT_TRUE(disk::WriteGpt(fd.get(), layout).ok());
  }
  // A used device: stale bytes where the image's GPT entry arrays are zero (unmapped blocks).
  ASSERT_TRUE(WriteFile(path("big"), std::string(4 << 20, '\xff')).ok());
  auto r = Flash({path("gpt.raw"), {}, path("big")}, {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->gpt_moved);
  UniqueFd fd(::open(path("big").c_str(), O_RDONLY));
  std::string note;
  auto read = disk::ReadGpt(fd.get(), &note);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(note, "");
  EXPECT_EQ(read->size_bytes, 4u << 20);
  EXPECT_EQ(read->partitions, layout.partitions);
}

// Serves raw (and bmap, unless empty) as a disk artifact under tag "1".
void ServeDiskArtifact(registry::testing::FakeRegistry& reg, const std::string& raw, const std::string& bmap) {
  registry::ArtifactSpec spec;
  spec.artifact_type = registry::kDiskImageArtifactType;
  spec.files.push_back({"img_1.raw", "application/vnd.kiln.disk.raw", {}, raw, {}, 0});
  if (!bmap.empty()) spec.files.push_back({"img_1.bmap", "application/octet-stream", {}, bmap, {}, 0});
  for (const auto& f : spec.files) reg.blobs[registry::DigestOf(f.content)] = f.content;
  reg.blobs[registry::DigestOf("{}")] = "{}";
  ASSERT_TRUE(registry::DescribeArtifactFiles(spec.files).ok());
  reg.manifests["1"] = registry::BuildArtifactManifest(spec);
}

registry::RegistryOptions Loopback() {
  registry::RegistryOptions o;
  o.insecure = true;
  o.retry_delay = std::chrono::milliseconds(1);
  o.auth_file = "/nonexistent/auth.json";
  return o;
}

bool IsEmptyDir(const fs::path& dir) { return fs::is_empty(dir); }

TEST_F(FlashTest, FlashesAPushedDiskImageWithItsBlockMap) {
  registry::testing::FakeRegistry reg;
  ServeDiskArtifact(reg, image_, vmformats::FormatBmap(*vmformats::ComputeBlockMap(path("img.raw"))));
  ASSERT_TRUE(fs::create_directory(path("staging")));
  auto ref = registry::ParseReference(reg.Host() + "/vm:1").value();
  auto r = FlashFromRegistry(ref, path("target"), Loopback(), path("staging"), {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->raw_title, "img_1.raw");
  EXPECT_EQ(r->flash.bmap_source, "img_1.bmap");
  EXPECT_EQ(r->flash.ranges, 2u);
  EXPECT_EQ(ReadFile(path("target")).value(), image_);
  EXPECT_TRUE(IsEmptyDir(path("staging")));  // the staged blobs are gone
}

TEST_F(FlashTest, RefusesATamperedBlobBeforeWritingAndCleansUp) {
  registry::testing::FakeRegistry reg;
  ServeDiskArtifact(reg, image_, {});
  std::string tampered = image_;
  tampered[5000] ^= 1;
  reg.blobs[registry::DigestOf(image_)] = tampered;
  ASSERT_TRUE(fs::create_directory(path("staging")));
  auto ref = registry::ParseReference(reg.Host() + "/vm:1").value();
  auto r = FlashFromRegistry(ref, path("target"), Loopback(), path("staging"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIntegrity);
  EXPECT_FALSE(fs::exists(path("target")));  // nothing was written
  EXPECT_TRUE(IsEmptyDir(path("staging")));

  // A block map whose range hashes disagree with the (untampered) raw image: caught on read-back.
  auto map = *vmformats::ComputeBlockMap(path("img.raw"));
  map.ranges[0].sha256 = std::string(64, '0');
  ServeDiskArtifact(reg, image_, vmformats::FormatBmap(map));
  auto bad = FlashFromRegistry(ref, path("target2"), Loopback(), path("staging"), {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kIntegrity);
  EXPECT_NE(bad.error().message.find("read-back"), std::string::npos) << bad.error().message;
  EXPECT_TRUE(IsEmptyDir(path("staging")));
}

}  // namespace
}  // namespace kiln::flash
