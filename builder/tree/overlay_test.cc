#include "builder/tree/overlay.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "builder/common/files.h"

namespace kiln::tree {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kClamp = 1700000000;

class OverlayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tmp = TempDir::Create();
    ASSERT_TRUE(tmp.ok());
    dir_ = std::move(tmp).value();
    src_ = dir_.path() / "overlay";
    fs::create_directories(src_ / "etc" / "ssh");
    fs::create_directories(src_ / "usr" / "local" / "bin");
    ASSERT_TRUE(WriteFile(src_ / "etc" / "motd", "hello\n", 0644).ok());
    ASSERT_TRUE(WriteFile(src_ / "etc" / "ssh" / "sshd_config", "PermitRootLogin no\n", 0600).ok());
    ASSERT_TRUE(WriteFile(src_ / "usr" / "local" / "bin" / "tool", "#!/bin/sh\n", 0755).ok());
    fs::create_symlink("/etc/hostname-real", src_ / "etc" / "hostname");
    fs::permissions(src_ / "etc", static_cast<fs::perms>(0775));  // a permissive umask's checkout
    fs::permissions(src_ / "usr" / "local", static_cast<fs::perms>(0750));
  }
  TempDir dir_;
  fs::path src_;
};

TEST_F(OverlayTest, CopiesModesNotOwnersAndKeepsSymlinkText) {
  FileTree tree(kClamp);
  FileNode etc;
  etc.type = NodeType::kDirectory;
  etc.mode = 0755;
  etc.uid = 0;
  tree.Insert("etc", etc).value();

  Status s = ImportDirectory(tree, src_, "/", "overlay[0]");
  ASSERT_TRUE(s.ok()) << s.error().ToString();

  const FileNode* motd = tree.Find("etc/motd");
  ASSERT_NE(motd, nullptr);
  EXPECT_EQ(motd->type, NodeType::kFile);
  EXPECT_EQ(motd->mode, 0644u);
  EXPECT_EQ(motd->uid, 0u);
  EXPECT_EQ(motd->gid, 0u);
  EXPECT_EQ(motd->origin, "overlay[0]");
  EXPECT_EQ(motd->content.host_path, src_ / "etc" / "motd");
  EXPECT_EQ(motd->content.size, 6u);
  EXPECT_EQ(motd->mtime, kClamp);  // the checkout's mtime is "now", clamped

  EXPECT_EQ(tree.Find("etc/ssh/sshd_config")->mode, 0600u);
  EXPECT_EQ(tree.Find("usr/local/bin/tool")->mode, 0755u);

  const FileNode* host = tree.Find("etc/hostname");
  ASSERT_NE(host, nullptr);
  EXPECT_EQ(host->type, NodeType::kSymlink);
  EXPECT_EQ(host->target, "/etc/hostname-real");

  // The existing /etc keeps its metadata; new directories get the host mode.
  EXPECT_EQ(tree.Find("etc")->mode, 0755u);
  EXPECT_EQ(tree.Find("usr/local")->mode, 0750u);
  EXPECT_EQ(tree.Find("usr/local")->uid, 0u);
  EXPECT_TRUE(tree.Validate().ok());
}

TEST_F(OverlayTest, ImportsUnderATargetThroughImageSymlinks) {
  FileTree tree(kClamp);
  FileNode dir;
  dir.type = NodeType::kDirectory;
  tree.Insert("srv/data", dir).value();
  FileNode link;
  link.type = NodeType::kSymlink;
  link.target = "/srv/data";
  tree.Insert("data", link).value();
  ASSERT_TRUE(ImportDirectory(tree, src_ / "etc", "/data/conf", "overlay[1]").ok());
  EXPECT_NE(tree.Find("srv/data/conf/motd"), nullptr);
  EXPECT_EQ(tree.Find("srv/data/conf")->mode, 0775u);  // new directory: host mode
  EXPECT_EQ(tree.Find("data")->type, NodeType::kSymlink);
}

TEST_F(OverlayTest, WalksInByteOrderSoLaterNamesWin) {
  // Upper case sorts before lower case in byte order.
  ASSERT_TRUE(WriteFile(src_ / "B", "b").ok());
  ASSERT_TRUE(WriteFile(src_ / "a", "a").ok());
  FileTree tree(kClamp);
  ASSERT_TRUE(ImportDirectory(tree, src_, "/", "o").ok());
  EXPECT_EQ(tree.Children(""), (std::vector<std::string>{"B", "a", "etc", "usr"}));
}

// Issue 14: two names of one host inode stay one inode in the image (as mksquashfs and the
// tarball importer keep them), the first name in import order holding the data.
TEST_F(OverlayTest, HardLinksStayHardLinks) {
  ASSERT_EQ(::link((src_ / "usr" / "local" / "bin" / "tool").c_str(), (src_ / "etc" / "tool-link").c_str()), 0);
  ASSERT_EQ(::link((src_ / "usr" / "local" / "bin" / "tool").c_str(), (src_ / "usr" / "local" / "bin" / "tool2").c_str()), 0);
  FileTree tree(kClamp);
  ASSERT_TRUE(ImportDirectory(tree, src_, "/", "overlay").ok());
  const FileNode* first = tree.Find("etc/tool-link");  // depth first, sorted: etc/ before usr/
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->type, NodeType::kFile);
  for (const char* other : {"usr/local/bin/tool", "usr/local/bin/tool2"}) {
    const FileNode* link = tree.Find(other);
    ASSERT_NE(link, nullptr) << other;
    EXPECT_EQ(link->type, NodeType::kHardLink) << other;
    EXPECT_EQ(link->target, "etc/tool-link") << other;
  }
  EXPECT_TRUE(tree.Validate().ok());
  // A file with one name is unaffected.
  EXPECT_EQ(tree.Find("etc/motd")->type, NodeType::kFile);
}

TEST_F(OverlayTest, SocketIsAnError) {
  fs::path sock = src_ / "etc" / "control.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(sock.string().size(), sizeof(addr.sun_path));
  std::strncpy(addr.sun_path, sock.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
  FileTree tree(kClamp);
  Status s = ImportDirectory(tree, src_, "/", "overlay[0]");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInput);
  EXPECT_NE(s.error().message.find("control.sock"), std::string::npos);
  EXPECT_NE(s.error().message.find("socket"), std::string::npos);
}

TEST_F(OverlayTest, FifoIsAnError) {
  ASSERT_EQ(::mkfifo((src_ / "pipe").c_str(), 0600), 0);
  FileTree tree(kClamp);
  Status s = ImportDirectory(tree, src_, "/", "overlay[0]");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("pipe"), std::string::npos);
}

TEST_F(OverlayTest, MissingDirectoryAndEscapingTarget) {
  FileTree tree(kClamp);
  Status s = ImportDirectory(tree, src_ / "nope", "/", "o");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("nope"), std::string::npos);
  s = ImportDirectory(tree, src_, "../x", "o");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInput);
}

}  // namespace
}  // namespace kiln::tree
