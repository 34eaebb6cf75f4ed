// Test-only helpers for the tree stage's tests: build small trees from inline files and write
// a tree out to a host directory, so real tools (useradd --root, systemctl --root) can be run
// on the same input and their result compared with ours. Not part of the library.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "builder/common/files.h"
#include "builder/tree/entries.h"
#include "builder/tree/file_tree.h"

namespace kiln::tree::testing {

inline void AddFile(FileTree& tree, const std::string& path, const std::string& text,
                    std::uint32_t mode = 0644, std::uint32_t gid = 0) {
  FileNode n;
  n.type = NodeType::kFile;
  n.mode = mode;
  n.gid = gid;
  n.content.is_inline = true;
  n.content.inline_data = text;
  n.content.size = text.size();
  (void)tree.Insert(path, std::move(n));
}

inline void AddDir(FileTree& tree, const std::string& path) {
  FileNode n;
  n.type = NodeType::kDirectory;
  n.mode = 0755;
  (void)tree.Insert(path, std::move(n));
}

inline void AddSymlink(FileTree& tree, const std::string& path, const std::string& target) {
  FileNode n;
  n.type = NodeType::kSymlink;
  n.mode = 0777;
  n.target = target;
  FileTree::InsertOptions opts;
  opts.follow_symlinks = false;
  (void)tree.Insert(path, std::move(n), opts);
}

inline std::string Content(const FileTree& tree, const std::string& path) {
  const FileNode* n = tree.Find(path);
  if (!n || n->type != NodeType::kFile) return "<missing " + path + ">";
  auto r = ReadContent(n->content);
  return r.ok() ? *r : "<unreadable>";
}

// Directories, regular files and symlinks with their modes (owners when running as root).
inline Status WriteTree(const FileTree& tree, const std::filesystem::path& dir) {
  for (const auto& [path, node] : tree.nodes()) {
    if (path.empty()) continue;
    std::filesystem::path p = dir / path;
    if (node.type == NodeType::kDirectory) {
      std::filesystem::create_directories(p);
      ::chmod(p.c_str(), node.mode);
    } else if (node.type == NodeType::kFile) {
      KILN_ASSIGN_OR_RETURN(std::string text, ReadContent(node.content));
      KILN_TRY(WriteFile(p, text, node.mode));
      ::chmod(p.c_str(), node.mode);
    } else if (node.type == NodeType::kSymlink) {
      if (::symlink(node.target.c_str(), p.c_str()) != 0)
        return MakeError(ErrorCode::kIo, "symlink " + p.string());
    }
    if (::geteuid() == 0) (void)::lchown(p.c_str(), node.uid, node.gid);
  }
  return OkStatus();
}

}  // namespace kiln::tree::testing
