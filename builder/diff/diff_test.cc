#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/common/subprocess.h"
#include "builder/diff/diff_format.h"
#include "builder/diff/image_diff.h"
#include "builder/diff/partition_diff.h"
#include "builder/disk/gpt.h"
#include "builder/disk/partition_types.h"

namespace kiln::diff {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Status(const std::string& bash_version, bool with_curl) {
  std::string s = "Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: " + bash_version + "\n\n";
  s += "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9\n\n";
  if (with_curl) s += "Package: curl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 7.88.1-10\n\n";
  return s;
}

// A source tree for mksquashfs; `variant` 1 and 2 differ in known ways.
void MakeTree(const fs::path& dir, int variant) {
  fs::create_directories(dir / "etc");
  fs::create_directories(dir / "var/lib/dpkg");
  fs::create_directories(dir / "ro");
  ASSERT_TRUE(WriteFile(dir / "etc/same", "same\n").ok());
  ASSERT_TRUE(WriteFile(dir / "etc/greeting", variant == 1 ? "hello\n" : "hello again\n").ok());
  ASSERT_TRUE(WriteFile(dir / "etc/mode", "m\n", variant == 1 ? 0644 : 0600).ok());
  ::chmod((dir / "etc/mode").c_str(), variant == 1 ? 0644 : 0600);
  ASSERT_TRUE(WriteFile(dir / (variant == 1 ? "etc/old" : "etc/new"), "x\n").ok());
  fs::create_symlink(variant == 1 ? "same" : "greeting", dir / "etc/link");
  ASSERT_TRUE(WriteFile(dir / "var/lib/dpkg/status", Status(variant == 1 ? "5.2.15-2" : "5.2.15-2+b2", variant == 2)).ok());
  ::chmod((dir / "ro").c_str(), 0555);
}

bool HaveTools() { return !FindProgram("mksquashfs").empty(); }

void MakeSquashfs(const fs::path& src, const fs::path& out) {
  ProcessSpec p;
  p.argv = {"mksquashfs", src.string(), out.string(), "-quiet", "-no-progress", "-all-root", "-noappend",
            "-mkfs-time", "0", "-all-time", "0"};
  auto r = RunChecked(p);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
}

class DiffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveTools()) GTEST_SKIP() << "squashfs-tools not installed";
    auto t = TempDir::Create();
    ASSERT_TRUE(t.ok());
    dir_ = std::move(*t);
    MakeTree(dir_.path() / "src1", 1);
    MakeTree(dir_.path() / "src2", 2);
    MakeSquashfs(dir_.path() / "src1", dir_.path() / "a.squashfs");
    MakeSquashfs(dir_.path() / "src2", dir_.path() / "b.squashfs");
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_.path() / "src1/ro", fs::perms::owner_all, fs::perm_options::add, ec);
    fs::permissions(dir_.path() / "src2/ro", fs::perms::owner_all, fs::perm_options::add, ec);
  }
  TempDir dir_;
};

TEST_F(DiffTest, SquashfsFilesAndPackages) {
  auto d = DiffImages(dir_.path() / "a.squashfs", dir_.path() / "b.squashfs", dir_.path());
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->kind_a, "squashfs");
  std::map<std::string, FileChange> by_path;
  for (auto& f : d->files) by_path[f.path] = f;
  ASSERT_EQ(by_path.size(), 6u) << DiffToText(*d);
  EXPECT_EQ(by_path["/etc/old"].kind, ChangeKind::kRemoved);
  EXPECT_EQ(by_path["/etc/new"].kind, ChangeKind::kAdded);
  const FileChange& g = by_path["/etc/greeting"];
  ASSERT_EQ(g.fields.size(), 1u);
  EXPECT_EQ(g.fields[0].field, "content");
  EXPECT_EQ(g.fields[0].old_value, ToHex(Sha256Of(std::string("hello\n"))));
  EXPECT_EQ(g.new_state->size, 12u);
  ASSERT_EQ(by_path["/etc/mode"].fields.size(), 1u);
  EXPECT_EQ(by_path["/etc/mode"].fields[0].field, "mode");
  EXPECT_EQ(by_path["/etc/mode"].fields[0].new_value, "0600");
  ASSERT_EQ(by_path["/etc/link"].fields.size(), 1u);
  EXPECT_EQ(by_path["/etc/link"].fields[0].field, "target");
  EXPECT_EQ(by_path["/etc/link"].fields[0].new_value, "greeting");
  EXPECT_TRUE(by_path.count("/var/lib/dpkg/status"));

  ASSERT_EQ(d->packages_added.size(), 1u);
  EXPECT_EQ(d->packages_added[0].name, "curl");
  EXPECT_TRUE(d->packages_removed.empty());
  ASSERT_EQ(d->packages_upgraded.size(), 1u);
  EXPECT_EQ(d->packages_upgraded[0].new_version, "5.2.15-2+b2");

  json j = json::parse(DiffToJson(*d));
  EXPECT_FALSE(j["identical"].get<bool>());
  EXPECT_EQ(j["packages"]["upgraded"][0]["from"], "5.2.15-2");
  EXPECT_EQ(j["files"].size(), 6u);
  std::string text = DiffToText(*d);
  EXPECT_NE(text.find("~ /etc/greeting: content"), std::string::npos) << text;
  EXPECT_NE(text.find("+ curl:amd64 7.88.1-10"), std::string::npos) << text;

  // Same image twice: nothing; scratch directories are cleaned up.
  auto same = DiffImages(dir_.path() / "a.squashfs", dir_.path() / "a.squashfs", dir_.path());
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->empty()) << DiffToText(*same);
  for (auto& e : fs::directory_iterator(dir_.path()))
    EXPECT_EQ(e.path().filename().string().rfind("kiln-diff", 0), std::string::npos) << e.path();
}

// A raw disk: GPT with a root partition holding the squashfs at 1 MiB.
void MakeDisk(const fs::path& squashfs, const fs::path& out, const std::string& label, std::uint8_t uuid_byte) {
  auto data = ReadFile(squashfs);
  ASSERT_TRUE(data.ok());
  disk::DiskLayout l;
  l.disk_guid.bytes[0] = uuid_byte;
  l.size_bytes = 4 << 20;
  disk::Partition root;
  root.type = disk::PartitionTypeUuid(disk::PartitionRole::kRoot, Architecture::kX86_64);
  root.uuid.bytes[1] = uuid_byte;
  root.label = label;
  root.offset = 1 << 20;
  root.size = 1 << 20;
  l.partitions.push_back(root);
  int fd = ::open(out.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(disk::WriteGpt(fd, l).ok());
  ASSERT_EQ(::pwrite(fd, data->data(), data->size(), root.offset), static_cast<ssize_t>(data->size()));
  ::close(fd);
}

TEST_F(DiffTest, DiskImagesCompareRootAndPartitions) {
  MakeDisk(dir_.path() / "a.squashfs", dir_.path() / "a.raw", "root", 1);
  MakeDisk(dir_.path() / "b.squashfs", dir_.path() / "b.raw", "root-b", 2);
  auto d = DiffImages(dir_.path() / "a.raw", dir_.path() / "b.raw", {});
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->kind_a, "disk");
  EXPECT_EQ(d->files.size(), 6u);
  ASSERT_EQ(d->partitions.size(), 1u) << DiffToText(*d);
  EXPECT_EQ(d->partitions[0].name, "root-x86-64");
  ASSERT_EQ(d->partitions[0].fields.size(), 2u);
  EXPECT_EQ(d->partitions[0].fields[0].field, "content");
  EXPECT_EQ(d->partitions[0].fields[1].field, "label");
  EXPECT_EQ(d->identity.size(), 2u);  // disk GUID and root partition UUID

  // A disk against the split root it was made from: same files.
  auto mixed = DiffImages(dir_.path() / "a.raw", dir_.path() / "a.squashfs", {});
  ASSERT_TRUE(mixed.ok()) << mixed.error().ToString();
  EXPECT_TRUE(mixed->empty()) << DiffToText(*mixed);
}

TEST(DiffErrorsTest, RejectsUnknownInputs) {
  auto t = TempDir::Create();
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(WriteFile(t->path() / "junk", std::string(4096, 'j')).ok());
  auto d = DiffImages(t->path() / "junk", t->path() / "junk", {});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kInput);
  EXPECT_NE(d.error().ToString().find("junk"), std::string::npos);
  auto missing = DiffImages(t->path() / "nope", t->path() / "junk", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().ToString().find("nope"), std::string::npos);
}

}  // namespace
}  // namespace kiln::diff
