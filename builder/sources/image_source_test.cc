#include "builder/sources/image_source.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "builder/common/files.h"
#include "builder/common/subprocess.h"

namespace kiln::sources {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kEpoch = 1700000000;
constexpr const char* kFsUuid = "5b1f3c0e-9a5d-4c1e-8f43-6f2d8a3b7c11";

// mke2fs, sfdisk and debugfs live in /usr/sbin, which a user's PATH may lack.
fs::path Tool(const std::string& name) {
  fs::path p = FindProgram(name);
  if (!p.empty()) return p;
  for (const char* dir : {"/usr/sbin/", "/sbin/"})
    if (access((std::string(dir) + name).c_str(), X_OK) == 0) return fs::path(dir) / name;
  return {};
}

bool SlowTestsEnabled() {
  const char* v = std::getenv("KILN_SLOW_TESTS");
  return v != nullptr && std::string(v) == "1";
}

#define SKIP_UNLESS_SLOW()                                                                 \
  do {                                                                                     \
    if (!SlowTestsEnabled())                                                               \
      GTEST_SKIP() << "libguestfs test (about a minute under TCG); set KILN_SLOW_TESTS=1"; \
  } while (0)

void RunTool(std::vector<std::string> argv, std::string stdin_data = {}) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.stdin_data = std::move(stdin_data);
  auto r = RunChecked(spec);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
}

void Write(const fs::path& p, const std::string& data, unsigned mode) {
  ASSERT_TRUE(WriteFile(p, data, mode).ok()) << p;
  ASSERT_EQ(chmod(p.c_str(), mode), 0) << p;  // setuid bits and umask-proof modes
}

struct Expected {
  std::string path;
  tree::NodeType type;
  std::uint32_t mode, uid, gid;
  std::string content_or_target;
};

// The tree written into the image; owners are fixed afterwards with debugfs, so building the
// image needs no root.
const std::vector<Expected>& ExpectedEntries() {
  static const std::vector<Expected> entries = {
      {"etc", tree::NodeType::kDirectory, 0755, 0, 0, ""},
      {"etc/os-release", tree::NodeType::kFile, 0644, 0, 0,
       "NAME=\"Kiln Test Linux\"\nID=debian\nVERSION_ID=\"12\"\n"
       "PRETTY_NAME=\"Kiln Test Linux 12\"\n"},
      {"etc/hosts", tree::NodeType::kFile, 0644, 0, 0, "127.0.0.1 localhost\n"},
      {"etc/fstab", tree::NodeType::kFile, 0644, 0, 0,
       std::string("UUID=") + kFsUuid + " / ext4 defaults 0 1\n"},
      {"bin", tree::NodeType::kDirectory, 0755, 0, 0, ""},
      {"bin/sh", tree::NodeType::kFile, 0755, 0, 0, "#!/not/really/a/shell\n"},
      {"usr", tree::NodeType::kDirectory, 0755, 0, 0, ""},
      {"usr/bin", tree::NodeType::kDirectory, 0755, 0, 0, ""},
      {"usr/bin/su", tree::NodeType::kFile, 04755, 0, 0, "setuid tool\n"},
      {"usr/bin/sh", tree::NodeType::kSymlink, 0777, 0, 0, "../../bin/sh"},
      {"home", tree::NodeType::kDirectory, 0755, 0, 0, ""},
      {"home/user", tree::NodeType::kDirectory, 0750, 1000, 1000, ""},
      {"home/user/secret", tree::NodeType::kFile, 0600, 1000, 1000, "top secret\n"},
      {"home/user/link", tree::NodeType::kSymlink, 0777, 1000, 1000, "secret"},
  };
  return entries;
}

// Writes ExpectedEntries (plus a hard link home/user/hard -> secret) under src.
void MakeSourceTree(const fs::path& src) {
  for (const auto& e : ExpectedEntries()) {
    fs::path p = src / e.path;
    switch (e.type) {
      case tree::NodeType::kDirectory:
        fs::create_directories(p);
        ASSERT_EQ(chmod(p.c_str(), e.mode), 0);
        break;
      case tree::NodeType::kFile:
        Write(p, e.content_or_target, e.mode);
        break;
      case tree::NodeType::kSymlink:
        fs::create_symlink(e.content_or_target, p);
        break;
      default:
        FAIL();
    }
  }
  fs::create_hard_link(src / "home/user/secret", src / "home/user/hard");
  ASSERT_EQ(setxattr((src / "etc/hosts").c_str(), "user.kiln", "yes", 3, 0), 0);
}

// A GPT disk with one Linux partition at 1 MiB holding an ext4 made by mke2fs -d; owners set
// with debugfs. Returns the raw image path.
void MakeRawDisk(const fs::path& dir, const fs::path& src, fs::path* raw) {
  *raw = dir / "disk.raw";
  RunTool({"truncate", "-s", "64M", raw->string()});
  RunTool({Tool("sfdisk").string(), "-q", raw->string()},
      "label: gpt\nstart=2048, size=126976, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n");
  RunTool({Tool("mke2fs").string(), "-q", "-F", "-t", "ext4", "-U", kFsUuid, "-E",
       "offset=1048576,root_owner=0:0", "-d", src.string(), raw->string(), "62M"});
  std::string cmds;
  for (const auto& e : ExpectedEntries()) {
    cmds += "sif /" + e.path + " uid " + std::to_string(e.uid) + "\n";
    cmds += "sif /" + e.path + " gid " + std::to_string(e.gid) + "\n";
  }
  fs::path cmd_file = dir / "debugfs.cmds";
  ASSERT_TRUE(WriteFile(cmd_file, cmds).ok());
  RunTool({Tool("debugfs").string(), "-w", "-f", cmd_file.string(),
       raw->string() + "?offset=1048576"});
}

bool HaveTools() {
  for (const char* t : {"sfdisk", "mke2fs", "debugfs", "qemu-img"})
    if (Tool(t).empty()) return false;
  return true;
}

class ImageSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create({}, "kiln-image-test");
    ASSERT_TRUE(dir.ok());
    dir_ = std::move(dir).value();
    ctx_.source_date_epoch = kEpoch;
    ctx_.work_dir = dir_.path() / "work";
    fs::create_directories(ctx_.work_dir);
    ctx_.on_event = [this](const Event& e) {
      events_.push_back(e.message);
      std::fprintf(stderr, "[%s] %s\n", e.stage.c_str(), e.message.c_str());
    };
  }

  TempDir dir_;
  BuildContext ctx_;
  std::vector<std::string> events_;
};

TEST_F(ImageSourceTest, DetectsRawAndQcow2AndRefusesBackingFiles) {
  if (Tool("qemu-img").empty()) GTEST_SKIP() << "qemu-img not installed";
  const fs::path raw = dir_.path() / "a.raw", q = dir_.path() / "a.qcow2",
                 over = dir_.path() / "over.qcow2";
  ASSERT_TRUE(WriteFile(raw, std::string(4096, '\0')).ok());
  RunTool({"qemu-img", "create", "-q", "-f", "qcow2", q.string(), "1M"});
  RunTool({"qemu-img", "create", "-q", "-f", "qcow2", "-b", q.string(), "-F", "qcow2",
       over.string()});

  auto r = DetectDiskFormat(raw);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, DiskFormat::kRaw);
  r = DetectDiskFormat(q);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(*r, DiskFormat::kQcow2);
  r = DetectDiskFormat(over);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInput);
  EXPECT_NE(r.error().message.find("backing file"), std::string::npos);
  // Issue 14: an external data file is another host file too.
  const fs::path external = dir_.path() / "external.qcow2";
  RunTool({"qemu-img", "create", "-q", "-f", "qcow2", "-o", "data_file=" + (dir_.path() / "data.raw").string(),
           external.string(), "1M"});
  r = DetectDiskFormat(external);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("external data file"), std::string::npos);
  r = DetectDiskFormat(dir_.path() / "missing.img");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInput);
  EXPECT_NE(r.error().message.find("missing.img"), std::string::npos);
}

TEST_F(ImageSourceTest, ImportsRootOfPartitionedQcow2) {
  SKIP_UNLESS_SLOW();
  if (!HaveTools()) GTEST_SKIP() << "sfdisk, mke2fs, debugfs or qemu-img missing";
  const fs::path src = dir_.path() / "src";
  ASSERT_NO_FATAL_FAILURE(MakeSourceTree(src));
  fs::path raw;
  ASSERT_NO_FATAL_FAILURE(MakeRawDisk(dir_.path(), src, &raw));
  const fs::path qcow2 = dir_.path() / "disk.qcow2";
  RunTool({"qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw.string(), qcow2.string()});
  fs::remove(raw);

  tree::FileTree tree(kEpoch);
  auto store = tree::ContentStore::Create(dir_.path() / "store");
  ASSERT_TRUE(store.ok());
  const auto start = std::chrono::steady_clock::now();
  Status st = ImportDiskImage(tree, qcow2, *store, ctx_, "base");
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "ImportDiskImage took %lld s\n", static_cast<long long>(secs));
  ASSERT_TRUE(st.ok()) << st.error().ToString();

  for (const auto& e : ExpectedEntries()) {
    SCOPED_TRACE(e.path);
    const tree::FileNode* n = tree.Find(e.path);
    ASSERT_NE(n, nullptr);
    // tar_out decides which name of a hard-linked file carries the bytes: follow the link.
    if (n->type == tree::NodeType::kHardLink && e.type == tree::NodeType::kFile) n = tree.Find(n->target);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->type, e.type);
    EXPECT_EQ(n->uid, e.uid);
    EXPECT_EQ(n->gid, e.gid);
    EXPECT_EQ(n->origin, "base");
    if (e.type == tree::NodeType::kSymlink) {
      EXPECT_EQ(n->target, e.content_or_target);
    } else {
      EXPECT_EQ(n->mode, e.mode);
    }
    if (e.type == tree::NodeType::kFile) {
      EXPECT_EQ(n->content.size, e.content_or_target.size());
      auto data = ReadFile(n->content.host_path);
      ASSERT_TRUE(data.ok());
      EXPECT_EQ(*data, e.content_or_target);
    }
  }
  // One of the two names carries the bytes, the other is a hard link to it.
  const tree::FileNode* secret = tree.Find("home/user/secret");
  const tree::FileNode* hard = tree.Find("home/user/hard");
  ASSERT_NE(hard, nullptr);
  ASSERT_NE(secret, nullptr);
  const bool hard_is_link = hard->type == tree::NodeType::kHardLink;
  const tree::FileNode* link = hard_is_link ? hard : secret;
  EXPECT_EQ(link->type, tree::NodeType::kHardLink);
  EXPECT_EQ(link->target, hard_is_link ? "home/user/secret" : "home/user/hard");

  const tree::FileNode* hosts = tree.Find("etc/hosts");
  ASSERT_NE(hosts, nullptr);
  ASSERT_EQ(hosts->xattrs.count("user.kiln"), 1u);
  EXPECT_EQ(hosts->xattrs.at("user.kiln"), "yes");
  // Times are clamped to the build's epoch (the files were written just now).
  EXPECT_LE(tree.Find("etc/os-release")->mtime, kEpoch);
  EXPECT_TRUE(tree.Validate().ok());
  bool reported = false;
  for (const auto& m : events_) reported |= m.rfind("found ", 0) == 0;
  EXPECT_TRUE(reported);
}

TEST_F(ImageSourceTest, ImageWithoutOperatingSystemIsAClearError) {
  SKIP_UNLESS_SLOW();
  if (!HaveTools()) GTEST_SKIP() << "sfdisk, mke2fs, debugfs or qemu-img missing";
  const fs::path raw = dir_.path() / "empty.raw";
  RunTool({"truncate", "-s", "16M", raw.string()});
  RunTool({Tool("mke2fs").string(), "-q", "-F", "-t", "ext4", raw.string()});

  tree::FileTree tree(kEpoch);
  auto store = tree::ContentStore::Create(dir_.path() / "store");
  ASSERT_TRUE(store.ok());
  Status st = ImportDiskImage(tree, raw, *store, ctx_, "base");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kInput);
  EXPECT_EQ(st.error().message, "no operating system found in " + raw.string());
}

}  // namespace
}  // namespace kiln::sources
