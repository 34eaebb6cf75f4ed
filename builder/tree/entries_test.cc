#include "builder/tree/entries.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "builder/common/files.h"

namespace kiln::tree {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kClamp = 1600000000;

EntrySpec Entry(EntryKind kind, std::string path, int line) {
  EntrySpec e;
  e.kind = kind;
  e.path = std::move(path);
  e.pos = SourcePos{"recipes/base.toml", line, 1};
  return e;
}

FileNode Inline(std::string data) {
  FileNode n;
  n.type = NodeType::kFile;
  n.content.is_inline = true;
  n.content.inline_data = std::move(data);
  n.content.size = n.content.inline_data.size();
  return n;
}

TEST(Entries, DefaultsAndKinds) {
  auto tmp = TempDir::Create();
  ASSERT_TRUE(tmp.ok());
  ASSERT_TRUE(WriteFile(tmp->path() / "host.conf", "from host", 0600).ok());

  std::vector<EntrySpec> entries;
  auto f = Entry(EntryKind::kFile, "/etc/inline.conf", 3);
  f.content = "inline";
  entries.push_back(f);
  auto h = Entry(EntryKind::kFile, "/etc/host.conf", 7);
  h.source = tmp->path() / "host.conf";
  h.mode = 0640;
  entries.push_back(h);
  auto d = Entry(EntryKind::kDirectory, "/var/lib/app", 11);
  entries.push_back(d);
  auto l = Entry(EntryKind::kSymlink, "/etc/localtime", 15);
  l.target = "/usr/share/zoneinfo/UTC";
  entries.push_back(l);

  FileTree tree(kClamp);
  Status s = ApplyEntries(tree, entries);
  ASSERT_TRUE(s.ok()) << s.error().ToString();

  const FileNode* in = tree.Find("etc/inline.conf");
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(in->mode, 0644u);
  EXPECT_TRUE(in->content.is_inline);
  EXPECT_EQ(*ReadContent(in->content), "inline");
  EXPECT_EQ(in->content.size, 6u);
  EXPECT_EQ(in->mtime, kClamp);
  EXPECT_EQ(in->origin, "recipe");

  const FileNode* host = tree.Find("etc/host.conf");
  EXPECT_EQ(host->mode, 0640u);
  EXPECT_EQ(host->content.host_path, tmp->path() / "host.conf");
  EXPECT_EQ(host->content.size, 9u);
  EXPECT_EQ(*ReadContent(host->content), "from host");

  EXPECT_EQ(tree.Find("var/lib/app")->type, NodeType::kDirectory);
  EXPECT_EQ(tree.Find("var/lib/app")->mode, 0755u);
  EXPECT_EQ(tree.Find("var/lib")->mode, 0755u);
  EXPECT_EQ(tree.Find("etc/localtime")->type, NodeType::kSymlink);
  EXPECT_EQ(tree.Find("etc/localtime")->target, "/usr/share/zoneinfo/UTC");
}

// Issue 14: [[file]] sources that are hard links of one host file stay one inode, when they
// can (same mode and owner); a copy with another mode stays a separate file.
TEST(Entries, HardLinkedSourcesStayLinked) {
  auto tmp = TempDir::Create();
  ASSERT_TRUE(tmp.ok());
  ASSERT_TRUE(WriteFile(tmp->path() / "a", "data", 0644).ok());
  ASSERT_EQ(::link((tmp->path() / "a").c_str(), (tmp->path() / "b").c_str()), 0);
  ASSERT_TRUE(WriteFile(tmp->path() / "single", "one", 0644).ok());
  auto e1 = Entry(EntryKind::kFile, "/usr/bin/a", 1);
  e1.source = tmp->path() / "a";
  auto e2 = Entry(EntryKind::kFile, "/usr/bin/b", 2);
  e2.source = tmp->path() / "b";
  auto e3 = Entry(EntryKind::kFile, "/usr/bin/b-suid", 3);
  e3.source = tmp->path() / "b";
  e3.mode = 04755;
  auto e4 = Entry(EntryKind::kFile, "/etc/one", 4);
  e4.source = tmp->path() / "single";
  auto e5 = Entry(EntryKind::kFile, "/etc/one-again", 5);
  e5.source = tmp->path() / "single";
  FileTree tree(kClamp);
  Status s = ApplyEntries(tree, {e1, e2, e3, e4, e5});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(tree.Find("usr/bin/a")->type, NodeType::kFile);
  EXPECT_EQ(tree.Find("usr/bin/b")->type, NodeType::kHardLink);
  EXPECT_EQ(tree.Find("usr/bin/b")->target, "usr/bin/a");
  EXPECT_EQ(tree.Find("usr/bin/b-suid")->type, NodeType::kFile);  // another mode: its own inode
  EXPECT_EQ(tree.Find("etc/one-again")->type, NodeType::kFile);   // one host name: copies, as before
  EXPECT_TRUE(tree.Validate().ok());
}

TEST(Entries, DirectoryReplacesMetadataKeepsChildren) {
  FileTree tree(kClamp);
  tree.Insert("srv/x", Inline("x")).value();
  auto d = Entry(EntryKind::kDirectory, "/srv", 2);
  d.mode = 0700;
  d.owner.uid = 7;
  d.owner.gid = 8;
  ASSERT_TRUE(ApplyEntries(tree, {d}).ok());
  EXPECT_EQ(tree.Find("srv")->mode, 0700u);
  EXPECT_EQ(tree.Find("srv")->uid, 7u);
  EXPECT_EQ(tree.Find("srv")->gid, 8u);
  EXPECT_NE(tree.Find("srv/x"), nullptr);
}

TEST(Entries, SymlinkAndFileReplaceAnExistingSymlink) {
  FileTree tree(kClamp);
  tree.Insert("run/resolv.conf", Inline("r")).value();
  FileNode link;
  link.type = NodeType::kSymlink;
  link.target = "../run/resolv.conf";
  tree.Insert("etc/resolv.conf", link).value();
  auto f = Entry(EntryKind::kFile, "/etc/resolv.conf", 4);
  f.content = "nameserver 127.0.0.1\n";
  ASSERT_TRUE(ApplyEntries(tree, {f}).ok());
  EXPECT_EQ(tree.Find("etc/resolv.conf")->type, NodeType::kFile);
  EXPECT_EQ(*ReadContent(tree.Find("run/resolv.conf")->content), "r");
}

TEST(Entries, OwnerNamesFromTheImage) {
  FileTree tree(kClamp);
  // /etc/passwd written by an earlier entry, /etc/group from the base.
  tree.Insert("etc/group", Inline("root:x:0:\nadm:x:4:\nwww-data:x:33:\nsvc:x:990:\n")).value();
  auto passwd = Entry(EntryKind::kFile, "/etc/passwd", 1);
  passwd.content = "root:x:0:0:root:/root:/bin/bash\nsvc:x:991:990::/var/lib/svc:/usr/sbin/nologin\n";

  auto a = Entry(EntryKind::kDirectory, "/var/lib/svc", 5);
  a.owner.user = "svc";  // primary group from passwd
  auto b = Entry(EntryKind::kFile, "/var/log/app.log", 9);
  b.owner.user = "svc";
  b.owner.group = "adm";
  auto c = Entry(EntryKind::kFile, "/srv/www", 13);
  c.owner.uid = 5;
  c.owner.group = "www-data";

  Status s = ApplyEntries(tree, {passwd, a, b, c});
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(tree.Find("var/lib/svc")->uid, 991u);
  EXPECT_EQ(tree.Find("var/lib/svc")->gid, 990u);
  EXPECT_EQ(tree.Find("var/log/app.log")->uid, 991u);
  EXPECT_EQ(tree.Find("var/log/app.log")->gid, 4u);
  EXPECT_EQ(tree.Find("srv/www")->uid, 5u);
  EXPECT_EQ(tree.Find("srv/www")->gid, 33u);
}

TEST(Entries, PasswdFromHostPathContent) {
  auto tmp = TempDir::Create();
  ASSERT_TRUE(tmp.ok());
  ASSERT_TRUE(WriteFile(tmp->path() / "passwd", "daemon:x:1:1::/:/bin/false\n").ok());
  FileTree tree(kClamp);
  FileNode pw;
  pw.type = NodeType::kFile;
  pw.content.host_path = tmp->path() / "passwd";
  pw.content.size = 27;  // the file's size, as every importer records it
  tree.Insert("etc/passwd", pw).value();
  auto e = Entry(EntryKind::kFile, "/x", 3);
  e.owner.user = "daemon";
  ASSERT_TRUE(ApplyEntries(tree, {e}).ok());
  EXPECT_EQ(tree.Find("x")->uid, 1u);
  EXPECT_EQ(tree.Find("x")->gid, 1u);
}

TEST(Entries, UnknownNamesAreRecipeErrors) {
  FileTree tree(kClamp);
  tree.Insert("etc/passwd", Inline("root:x:0:0::/root:/bin/sh\n")).value();
  auto e = Entry(EntryKind::kFile, "/x", 12);
  e.pos.column = 5;
  e.owner.user = "nobody";
  Status s = ApplyEntries(tree, {e});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kRecipe);
  EXPECT_EQ(s.error().message,
            "recipes/base.toml:12:5: unknown user 'nobody' (not in the image's /etc/passwd)");

  auto g = Entry(EntryKind::kFile, "/y", 14);
  g.owner.group = "staff";
  s = ApplyEntries(tree, {g});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kRecipe);
  EXPECT_NE(s.error().message.find("recipes/base.toml:14:1"), std::string::npos);
  EXPECT_NE(s.error().message.find("'staff'"), std::string::npos);
}

TEST(Entries, BadPathsAndSources) {
  FileTree tree(kClamp);
  auto e = Entry(EntryKind::kFile, "/../etc/x", 2);
  Status s = ApplyEntries(tree, {e});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kRecipe);
  EXPECT_NE(s.error().message.find("recipes/base.toml:2:1"), std::string::npos);

  auto h = Entry(EntryKind::kFile, "/etc/x", 3);
  h.source = fs::path("/nonexistent/kiln-test-file");
  s = ApplyEntries(tree, {h});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInput);
  EXPECT_NE(s.error().message.find("/nonexistent/kiln-test-file"), std::string::npos);
}

}  // namespace
}  // namespace kiln::tree
