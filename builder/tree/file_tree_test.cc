#include "builder/tree/file_tree.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kiln::tree {
namespace {

FileNode File(std::string origin = "base", std::uint32_t mode = 0644) {
  FileNode n;
  n.type = NodeType::kFile;
  n.mode = mode;
  n.origin = std::move(origin);
  n.mtime = 1000;
  return n;
}

FileNode Dir(std::uint32_t mode = 0755, std::uint32_t uid = 0) {
  FileNode n;
  n.type = NodeType::kDirectory;
  n.mode = mode;
  n.uid = uid;
  n.mtime = 1000;
  return n;
}

FileNode Link(std::string target) {
  FileNode n;
  n.type = NodeType::kSymlink;
  n.mode = 0777;
  n.target = std::move(target);
  return n;
}

FileNode Hard(std::string target) {
  FileNode n;
  n.type = NodeType::kHardLink;
  n.target = std::move(target);
  return n;
}

TEST(NormalizePath, Collapses) {
  EXPECT_EQ(*NormalizePath("/etc//x/./y"), "etc/x/y");
  EXPECT_EQ(*NormalizePath("/"), "");
  EXPECT_EQ(*NormalizePath(""), "");
  EXPECT_EQ(*NormalizePath("./"), "");
  EXPECT_EQ(*NormalizePath("a/../b"), "b");
  EXPECT_EQ(*NormalizePath("a/b/../../c/"), "c");
  EXPECT_EQ(*NormalizePath("usr/bin/"), "usr/bin");
}

TEST(NormalizePath, RejectsEscapesAndNul) {
  auto r = NormalizePath("../../etc/passwd");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInput);
  EXPECT_NE(r.error().message.find("../../etc/passwd"), std::string::npos);
  EXPECT_FALSE(NormalizePath("a/../../b").ok());
  EXPECT_FALSE(NormalizePath("/..").ok());
  EXPECT_FALSE(NormalizePath(std::string("a\0b", 3)).ok());
}

TEST(PathParts, ParentAndBase) {
  EXPECT_EQ(ParentPath("etc/x"), "etc");
  EXPECT_EQ(ParentPath("etc"), "");
  EXPECT_EQ(BaseName("etc/x"), "x");
  EXPECT_EQ(BaseName("etc"), "etc");
}

TEST(FileTree, RootExistsAndParentsAreCreated) {
  FileTree tree(500);
  ASSERT_NE(tree.Find(""), nullptr);
  EXPECT_EQ(tree.Find("")->type, NodeType::kDirectory);
  EXPECT_EQ(*tree.Insert("/a/b/c", File()), "a/b/c");
  const FileNode* a = tree.Find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->type, NodeType::kDirectory);
  EXPECT_EQ(a->mode, 0755u);
  EXPECT_EQ(a->uid, 0u);
  EXPECT_EQ(a->mtime, 500);
  ASSERT_NE(tree.Find("a/b"), nullptr);
  // mtime clamped to the clamp time
  EXPECT_EQ(tree.Find("a/b/c")->mtime, 500);
  EXPECT_EQ(tree.size(), 4u);
}

TEST(FileTree, MtimeBelowClampIsKept) {
  FileTree tree(5000);
  tree.Insert("x", File()).value();
  EXPECT_EQ(tree.Find("x")->mtime, 1000);
}

TEST(FileTree, LaterNonDirectoryReplaces) {
  FileTree tree(2000);
  tree.Insert("etc/x", File("base", 0600)).value();
  tree.Insert("etc/x", File("overlay[0]", 0644)).value();
  EXPECT_EQ(tree.Find("etc/x")->origin, "overlay[0]");
  EXPECT_EQ(tree.Find("etc/x")->mode, 0644u);
}

TEST(FileTree, FileReplacingDirectoryDropsSubtree) {
  FileTree tree(2000);
  tree.Insert("d/a", File()).value();
  tree.Insert("d/sub/b", File()).value();
  tree.Insert("d-sibling", File()).value();
  tree.Insert("d", File("recipe")).value();
  EXPECT_EQ(tree.Find("d")->type, NodeType::kFile);
  EXPECT_EQ(tree.Find("d/a"), nullptr);
  EXPECT_EQ(tree.Find("d/sub"), nullptr);
  EXPECT_EQ(tree.Find("d/sub/b"), nullptr);
  EXPECT_NE(tree.Find("d-sibling"), nullptr);
}

TEST(FileTree, DirectoryOverDirectoryKeepsChildrenAndMaybeMetadata) {
  FileTree tree(2000);
  tree.Insert("etc", Dir(0755)).value();
  tree.Insert("etc/passwd", File()).value();
  tree.Insert("etc", Dir(0700, 5)).value();  // default: keep metadata
  EXPECT_EQ(tree.Find("etc")->mode, 0755u);
  EXPECT_NE(tree.Find("etc/passwd"), nullptr);
  FileTree::InsertOptions opts;
  opts.replace_dir_metadata = true;
  tree.Insert("etc", Dir(0700, 5), opts).value();
  EXPECT_EQ(tree.Find("etc")->mode, 0700u);
  EXPECT_EQ(tree.Find("etc")->uid, 5u);
  EXPECT_NE(tree.Find("etc/passwd"), nullptr);
}

TEST(FileTree, RootMetadataAndRootCannotBeReplaced) {
  FileTree tree(2000);
  FileTree::InsertOptions opts;
  opts.replace_dir_metadata = true;
  EXPECT_EQ(*tree.Insert("/", Dir(0700), opts), "");
  EXPECT_EQ(tree.Find("")->mode, 0700u);
  auto r = tree.Insert("/", File());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInput);
}

TEST(FileTree, MergedUsrParentsFollowSymlinks) {
  FileTree tree(2000);
  tree.Insert("usr/bin", Dir()).value();
  tree.Insert("bin", Link("usr/bin")).value();
  EXPECT_EQ(*tree.Insert("/bin/x", File()), "usr/bin/x");
  EXPECT_NE(tree.Find("usr/bin/x"), nullptr);
  EXPECT_EQ(tree.Find("bin")->type, NodeType::kSymlink);
  EXPECT_EQ(tree.Resolve("/bin/x"), "usr/bin/x");
}

TEST(FileTree, AbsoluteAndDotDotTargetsStayInImage) {
  FileTree tree(2000);
  tree.Insert("etc", Link("/tmp")).value();
  EXPECT_EQ(*tree.Insert("etc/passwd", File()), "tmp/passwd");
  // ".." stops at the root.
  tree.Insert("up", Link("../../../../var")).value();
  EXPECT_EQ(*tree.Insert("up/log", File()), "var/log");
  tree.Insert("a/b", Link("../c")).value();
  EXPECT_EQ(*tree.Insert("a/b/f", File()), "c/f");
}

TEST(FileTree, FinalSymlinkFollowedOnlyWhenAsked) {
  FileTree tree(2000);
  tree.Insert("run/resolv.conf", File()).value();
  tree.Insert("etc/resolv.conf", Link("../run/resolv.conf")).value();
  EXPECT_EQ(*tree.Insert("etc/resolv.conf", File("recipe")), "run/resolv.conf");
  EXPECT_EQ(tree.Find("run/resolv.conf")->origin, "recipe");
  FileTree::InsertOptions opts;
  opts.follow_symlinks = false;
  EXPECT_EQ(*tree.Insert("etc/resolv.conf", File("other"), opts), "etc/resolv.conf");
  EXPECT_EQ(tree.Find("etc/resolv.conf")->type, NodeType::kFile);
}

TEST(FileTree, SymlinkLoopIsAnError) {
  FileTree tree(2000);
  tree.Insert("a", Link("b")).value();
  tree.Insert("b", Link("a")).value();
  auto r = tree.Insert("a/x", File());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInput);
  EXPECT_NE(r.error().message.find("too many levels"), std::string::npos);
  EXPECT_EQ(tree.Resolve("a"), "");
}

TEST(FileTree, ParentThatIsAFileIsAnError) {
  FileTree tree(2000);
  tree.Insert("f", File()).value();
  auto r = tree.Insert("f/x", File());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("'f' is a regular file"), std::string::npos);
}

TEST(FileTree, ResolveDanglingIsEmpty) {
  FileTree tree(2000);
  tree.Insert("l", Link("/nowhere/x")).value();
  EXPECT_EQ(tree.Resolve("l"), "");
  EXPECT_EQ(tree.Resolve("missing"), "");
  EXPECT_EQ(tree.Resolve("/"), "");
  tree.Insert("nowhere/x", File()).value();
  EXPECT_EQ(tree.Resolve("l"), "nowhere/x");
}

TEST(FileTree, RemoveSubtree) {
  FileTree tree(2000);
  tree.Insert("a/b/c", File()).value();
  tree.Insert("a-b", File()).value();
  tree.Insert("ab", File()).value();
  tree.Remove("a");
  EXPECT_EQ(tree.Find("a"), nullptr);
  EXPECT_EQ(tree.Find("a/b/c"), nullptr);
  EXPECT_NE(tree.Find("a-b"), nullptr);
  EXPECT_NE(tree.Find("ab"), nullptr);
  tree.Remove("does/not/exist");
  tree.Remove("");
  EXPECT_EQ(tree.size(), 1u);
  EXPECT_NE(tree.Find(""), nullptr);
}

TEST(FileTree, ChildrenInByteOrder) {
  FileTree tree(2000);
  for (const char* p : {"d/b", "d/B", "d/a-c", "d/a/x", "d/\xc3\xa9", "d/_", "e"})
    tree.Insert(p, File()).value();
  EXPECT_EQ(tree.Children("d"),
            (std::vector<std::string>{"B", "_", "a", "a-c", "b", "\xc3\xa9"}));
  EXPECT_EQ(tree.Children(""), (std::vector<std::string>{"d", "e"}));
  EXPECT_EQ(tree.Children("d/a"), (std::vector<std::string>{"x"}));
  EXPECT_TRUE(tree.Children("e").empty());
}

TEST(FileTree, WalkParentsFirstSiblingsInByteOrder) {
  FileTree t2(2000);
  t2.Insert("a/b/z", File()).value();
  t2.Insert("a/a", File()).value();
  t2.Insert("a-c", File()).value();
  t2.Insert("b", File()).value();
  std::vector<std::string> seen;
  t2.Walk([&](const std::string& p, const FileNode&) { seen.push_back(p); });
  EXPECT_EQ(seen, (std::vector<std::string>{"", "a", "a/a", "a/b", "a/b/z", "a-c", "b"}));
}

TEST(FileTree, HardLinksValidate) {
  FileTree tree(2000);
  tree.Insert("usr/bin", Dir()).value();
  tree.Insert("bin", Link("usr/bin")).value();
  tree.Insert("bin/gzip", File()).value();
  // The target is named as archived; it resolves to where the file landed.
  tree.Insert("bin/gunzip", Hard("/bin/gzip")).value();
  EXPECT_EQ(tree.Find("usr/bin/gunzip")->target, "usr/bin/gzip");
  EXPECT_TRUE(tree.Validate().ok());

  tree.Insert("dangling", Hard("nope")).value();
  Status s = tree.Validate();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("'dangling'"), std::string::npos);
  EXPECT_NE(s.error().message.find("'nope'"), std::string::npos);
  tree.Remove("dangling");

  tree.Insert("todir", Hard("usr")).value();
  s = tree.Validate();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("directory"), std::string::npos);
}

TEST(FileTree, ImportOptionsKeepDirectorySymlinks) {
  FileTree tree(2000);
  tree.Insert("usr/lib", Dir()).value();
  tree.Insert("lib", Link("usr/lib")).value();
  tree.Insert("f", Link("usr/lib")).value();
  auto opts = ImportInsertOptions(tree, "lib", NodeType::kDirectory, true);
  EXPECT_TRUE(opts.follow_symlinks);
  EXPECT_EQ(*tree.Insert("lib", Dir(0700), opts), "usr/lib");
  EXPECT_EQ(tree.Find("lib")->type, NodeType::kSymlink);
  EXPECT_EQ(tree.Find("usr/lib")->mode, 0700u);
  // A non-directory replaces the symlink itself.
  opts = ImportInsertOptions(tree, "f", NodeType::kFile, true);
  EXPECT_FALSE(opts.follow_symlinks);
  EXPECT_EQ(*tree.Insert("f", File(), opts), "f");
  EXPECT_EQ(tree.Find("f")->type, NodeType::kFile);
}

}  // namespace
}  // namespace kiln::tree
