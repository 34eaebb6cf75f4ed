// The in-memory file tree every source feeds and every writer (squashfs, OCI, diff) reads.
// Metadata only: regular file contents stay where they are (host file, staged blob or an
// inline string from the recipe) and are streamed by the writers, never held whole.
// Ownership, modes and device numbers come from inputs and the recipe, never from the
// builder's privileges, so a build runs unprivileged.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "builder/common/result.h"

namespace kiln::tree {

enum class NodeType { kFile, kDirectory, kSymlink, kHardLink, kCharDevice, kBlockDevice, kFifo, kSocket };
const char* NodeTypeName(NodeType type);

// Where a regular file's bytes are. Exactly one of host_path / inline_data is used. The bytes
// of a host file are [offset, offset + size): a member of an uncompressed tarball is read
// where it lies in the archive (offset > 0) instead of being copied out first.
// Read them through ContentReader (content_reader.h), which honours the range.
struct FileContent {
  std::filesystem::path host_path;  // read when the file is written out
  std::string inline_data;          // recipe `content = "..."`
  bool is_inline = false;
  std::uint64_t size = 0;
  std::uint64_t offset = 0;         // where the bytes start in host_path
  bool operator==(const FileContent&) const = default;
};

struct FileNode {
  NodeType type = NodeType::kFile;
  std::uint32_t mode = 0644;  // permission bits incl. setuid/setgid/sticky (07777), no type bits
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::int64_t mtime = 0;     // seconds; clamped to SOURCE_DATE_EPOCH when inserted
  std::map<std::string, std::string> xattrs;  // full names ("security.capability")
  std::string target;         // kSymlink: link text as stored; kHardLink: normalised path of the file
  std::uint32_t rdev_major = 0;
  std::uint32_t rdev_minor = 0;
  FileContent content;        // kFile only
  std::string origin;         // which input put it here: "base", "overlay[0]", "recipe"
  bool operator==(const FileNode&) const = default;
};

// Normalises an image path: "/etc//x/./y" -> "etc/x/y", "/" -> "" (the root). A ".." that
// would climb above the root is an error naming the path.
Result<std::string> NormalizePath(std::string_view path);
// "etc/x" -> "etc"; "" for top-level entries.
std::string ParentPath(std::string_view normalized);
std::string BaseName(std::string_view normalized);

// Paths keyed by normalised path; the root "" always exists and is a directory.
//
// Merge rules (in recipe order, later inputs win):
//  - a non-directory replaces whatever was at its path (a replaced directory loses its subtree);
//  - a directory inserted over an existing directory keeps the existing children; its metadata
//    is replaced only when `replace_dir_metadata` is set (recipe [[directory]] entries);
//  - missing parents are created as 0755 root:root directories with mtime = clamp time;
//  - symlinks met on the way to a path are followed inside the image (absolute targets are
//    taken relative to the image root, ".." stops at the root), so "/bin/x" on a merged-/usr
//    base lands in "usr/bin/x".
class FileTree {
 public:
  explicit FileTree(std::int64_t clamp_time = 0);

  struct InsertOptions {
    bool replace_dir_metadata = false;
    bool follow_symlinks = true;
  };
  // Inserts node at path (normalised first); returns the final normalised path it landed at.
  Result<std::string> Insert(std::string_view path, FileNode node, InsertOptions opts);
  Result<std::string> Insert(std::string_view path, FileNode node) {
    return Insert(path, std::move(node), InsertOptions{});
  }
  // Removes path and, for a directory, its subtree. Missing paths are not an error.
  void Remove(std::string_view normalized);

  const FileNode* Find(std::string_view normalized) const;
  FileNode* FindMutable(std::string_view normalized);
  // Resolves symlinks in the parents and the entry itself inside the image; "" if dangling.
  std::string Resolve(std::string_view path) const;

  // Names (not paths) of the direct children of a directory, in byte order.
  std::vector<std::string> Children(std::string_view normalized) const;
  // Every node, keyed by normalised path (the std::map order, not a per-directory order).
  const std::map<std::string, FileNode>& nodes() const { return nodes_; }
  // Depth-first walk, parents before children, siblings in byte order.
  void Walk(const std::function<void(const std::string& path, const FileNode& node)>& fn) const;

  // Checks invariants writers rely on: every hard link points at a regular file.
  Status Validate() const;

  std::int64_t clamp_time() const { return clamp_time_; }
  std::size_t size() const { return nodes_.size(); }

 private:
  // Walks the components of a normalised path, following symlinks inside the image. Parents
  // missing from the tree are made with *create when given; otherwise resolution stops and
  // returns "" with *missing set. The final component is followed only when follow_final.
  Result<std::string> ResolveComponents(std::string_view normalized, bool follow_final,
                                        const std::function<void(const std::string&)>* create,
                                        bool* missing) const;

  std::int64_t clamp_time_;
  std::map<std::string, FileNode> nodes_;
};

// Insert options for importers copying a whole tree (tarballs, overlays, recipe entries): a
// directory over an existing symlink that resolves to a directory follows it (merged /usr:
// "bin/" over "bin -> usr/bin" keeps the link, like dpkg and GNU tar's
// --keep-directory-symlink); any other entry replaces whatever is at its own path.
FileTree::InsertOptions ImportInsertOptions(const FileTree& tree, std::string_view normalized,
                                            NodeType type, bool replace_dir_metadata);

}  // namespace kiln::tree
