#include "builder/bootloader/tree_files.h"

#include <system_error>

namespace kiln::bootloader {

namespace {

Status Put(tree::FileTree& tree, const std::string& path, tree::FileNode node) {
  node.mtime = tree.clamp_time();
  node.origin = "boot";
  KILN_ASSIGN_OR_RETURN(std::string at, tree.Insert(path, std::move(node)));
  (void)at;
  return OkStatus();
}

}  // namespace

Status PutFile(tree::FileTree& tree, const std::string& path, std::string contents, std::uint32_t mode) {
  tree::FileNode node;
  node.type = tree::NodeType::kFile;
  node.mode = mode;
  node.content.size = contents.size();
  node.content.inline_data = std::move(contents);
  node.content.is_inline = true;
  return Put(tree, path, std::move(node));
}

Status PutHostFile(tree::FileTree& tree, const std::string& path, const std::filesystem::path& source,
                   std::uint32_t mode) {
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(source, ec);
  if (ec) return MakeError(ErrorCode::kInput, "cannot read " + source.string() + ": " + ec.message());
  tree::FileNode node;
  node.type = tree::NodeType::kFile;
  node.mode = mode;
  node.content.host_path = source;
  node.content.size = size;
  return Put(tree, path, std::move(node));
}

Status PutSymlink(tree::FileTree& tree, const std::string& path, const std::string& target) {
  tree::FileNode node;
  node.type = tree::NodeType::kSymlink;
  node.mode = 0777;
  node.target = target;
  return Put(tree, path, std::move(node));
}

Status PutDirectory(tree::FileTree& tree, const std::string& path, std::uint32_t mode) {
  tree::FileNode node;
  node.type = tree::NodeType::kDirectory;
  node.mode = mode;
  return Put(tree, path, std::move(node));
}

}  // namespace kiln::bootloader
