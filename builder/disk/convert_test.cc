#include "builder/disk/convert.h"

#include <fcntl.h>

#include <gtest/gtest.h>

#include "builder/common/unique_fd.h"
#include "builder/disk/gpt.h"
#include "builder/disk/image_file.h"
#include "builder/disk/image_references.h"
#include "builder/disk/test_util.h"

namespace kiln::disk {
namespace {

namespace fs = std::filesystem;
using testing::HaveTools;
using testing::RunOrFail;
using testing::Slurp;

constexpr std::uint64_t kMiB = 1024 * 1024;

class ConvertTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveTools({"qemu-img"})) GTEST_SKIP() << "qemu-img not installed";
    dir_ = TempDir::Create().value();
    raw_ = dir_.path() / "disk.raw";
    DiskLayout l;
    l.disk_guid = Uuid::Parse("a1b2c3d4-e5f6-4789-8abc-def012345678").value();
    l.size_bytes = 8 * kMiB;
    l.partitions.push_back({Uuid::Parse("0fc63daf-8483-4772-8e79-3d69d8477de4").value(),
                            Uuid::Parse("11111111-2222-4333-8444-555555555555").value(), "data", kMiB,
                            4 * kMiB, 0});
    UniqueFd fd(::open(raw_.c_str(), O_RDWR | O_CREAT, 0644));
    ASSERT_TRUE(WriteGpt(fd.get(), l).ok());
    std::string payload(300000, '\0');
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 7 % 251);
    ASSERT_EQ(::pwrite(fd.get(), payload.data(), payload.size(), static_cast<off_t>(kMiB)),
              static_cast<ssize_t>(payload.size()));
  }
  TempDir dir_;
  fs::path raw_;
};

TEST_F(ConvertTest, Qcow2IsReproducibleAndConvertsBack) {
  fs::path a = dir_.path() / "a" / "disk.qcow2", b = dir_.path() / "b" / "disk.qcow2";
  fs::create_directories(a.parent_path());
  fs::create_directories(b.parent_path());
  Status s = ConvertImage(raw_, a, "qcow2");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  ASSERT_TRUE(ConvertImage(raw_, b, "qcow2").ok());
  EXPECT_TRUE(Slurp(a) == Slurp(b));
  EXPECT_NE(RunOrFail({"qemu-img", "info", a.string()}).find("file format: qcow2"), std::string::npos);
  RunOrFail({"qemu-img", "compare", "-f", "raw", "-F", "qcow2", raw_.string(), a.string()});
  // Nothing left beside the output.
  EXPECT_EQ(std::distance(fs::directory_iterator(a.parent_path()), fs::directory_iterator()), 1);

  TempDir tmp = TempDir::Create().value();
  Result<fs::path> back = ToRaw(a, tmp.path(), "qcow2");
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->filename(), "disk.raw");
  EXPECT_TRUE(Slurp(*back) == Slurp(raw_));
}

TEST_F(ConvertTest, VmdkCidIsDeterministic) {
  // qemu-img prints a random CID without zero padding: convert several times so runs with
  // CIDs of different lengths are compared too.
  std::string first;
  for (int i = 0; i < 5; ++i) {
    fs::path out = dir_.path() / std::to_string(i) / "appliance.vmdk";
    fs::create_directories(out.parent_path());
    Status s = ConvertImage(raw_, out, "vmdk");
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    std::string bytes = Slurp(out);
    if (i == 0) {
      first = bytes;
      // The descriptor names the final file, not a temporary one.
      EXPECT_NE(bytes.find("SPARSE \"appliance.vmdk\""), std::string::npos);
      EXPECT_EQ(bytes.find("CID=00000000"), std::string::npos);
      RunOrFail({"qemu-img", "compare", "-f", "raw", "-F", "vmdk", raw_.string(), out.string()});
      RunOrFail({"qemu-img", "check", out.string()});
    } else {
      EXPECT_TRUE(bytes == first) << "vmdk output " << i << " differs from the first";
    }
  }
}

TEST_F(ConvertTest, Errors) {
  Status s = ConvertImage(raw_, dir_.path() / "x.vdi", "vdi");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("vdi"), std::string::npos);
  s = ConvertImage(dir_.path() / "missing.raw", dir_.path() / "x.qcow2", "qcow2");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInput);
  TempDir tmp = TempDir::Create().value();
  fs::path junk = dir_.path() / "junk.qcow2";
  ASSERT_TRUE(WriteFile(junk, "not a qcow2").ok());
  Result<fs::path> r = ToRaw(junk, tmp.path(), "qcow2");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().ToString().find("junk.qcow2"), std::string::npos);
}

// Issue 14: an image that names another host file is refused before qemu-img reads it.
TEST_F(ConvertTest, ImagesNamingHostFilesAreRefused) {
  TempDir tmp = TempDir::Create().value();
  fs::path backed = dir_.path() / "backed.qcow2";
  RunOrFail({"qemu-img", "create", "-q", "-f", "qcow2", "-b", raw_.string(), "-F", "raw", backed.string()});
  Result<fs::path> r = ToRaw(backed, tmp.path(), "qcow2");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInput);
  EXPECT_NE(r.error().message.find("a backing file"), std::string::npos) << r.error().ToString();
  EXPECT_NE(r.error().message.find("--allow-backing-file"), std::string::npos);
  EXPECT_FALSE(fs::exists(tmp.path() / "backed.raw"));
  Result<fs::path> allowed = ToRaw(backed, tmp.path(), "qcow2", /*allow_external_files=*/true);
  ASSERT_TRUE(allowed.ok()) << allowed.error().ToString();
  EXPECT_TRUE(Slurp(*allowed) == Slurp(raw_));

  fs::path data = dir_.path() / "data.raw";
  fs::path external = dir_.path() / "external.qcow2";
  RunOrFail({"qemu-img", "create", "-q", "-f", "qcow2", "-o", "data_file=" + data.string(), external.string(), "1M"});
  r = ToRaw(external, tmp.path(), "qcow2");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("an external data file"), std::string::npos) << r.error().ToString();

  fs::path vmdk = dir_.path() / "self.vmdk";
  ASSERT_TRUE(ConvertImage(raw_, vmdk, "vmdk").ok());
  r = ToRaw(vmdk, tmp.path(), "vmdk");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(Slurp(*r) == Slurp(raw_));
}

TEST(ImageReferencesTest, QemuImgInfoIsReadWithoutThrowing) {
  const fs::path img = "/x/disk.vmdk";
  EXPECT_EQ(ExternalReferenceInInfo(R"({"format":"qcow2"})", img), "");
  EXPECT_EQ(ExternalReferenceInInfo(R"({"backing-filename":"/etc/shadow"})", img), "backing file /etc/shadow");
  EXPECT_EQ(ExternalReferenceInInfo(R"({"backing-filename":7,"format-specific":"x"})", img), "");
  EXPECT_EQ(ExternalReferenceInInfo(R"({"format-specific":{"type":"qcow2","data":{"data-file":"/d"}}})", img),
            "data file /d");
  EXPECT_EQ(ExternalReferenceInInfo(
                R"({"format-specific":{"type":"vmdk","data":{"extents":[7,{"filename":"/x/disk.vmdk"}]}}})", img),
            "");
  EXPECT_EQ(ExternalReferenceInInfo(R"({"format-specific":{"data":{"extents":[{"filename":"/etc/passwd"}]}}})", img),
            "extent file /etc/passwd");
  EXPECT_NE(ExternalReferenceInInfo("[7]", img), "");
  EXPECT_NE(ExternalReferenceInInfo("not json", img), "");
}

}  // namespace
}  // namespace kiln::disk
