#include "builder/tree/overlay.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include "builder/common/text_escape.h"

namespace kiln::tree {

namespace fs = std::filesystem;

namespace {

std::string JoinImagePath(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

const char* SpecialKind(mode_t mode) {
  if (S_ISCHR(mode)) return "character device";
  if (S_ISBLK(mode)) return "block device";
  if (S_ISFIFO(mode)) return "fifo";
  if (S_ISSOCK(mode)) return "socket";
  return "special file";
}

class DirectoryImporter {
 public:
  DirectoryImporter(FileTree& tree, const fs::path& root, const std::string& origin)
      : tree_(tree), root_(root), origin_(origin) {}

  // Imports host path `host` (already lstat-ed into st) at image path `image`.
  Status ImportOne(const fs::path& host, const std::string& image, const struct stat& st) {
    FileNode node;
    node.mode = static_cast<std::uint32_t>(st.st_mode) & 07777;
    node.uid = 0;
    node.gid = 0;
    node.mtime = st.st_mtim.tv_sec;
    node.origin = origin_;
    if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
      // The second and later names of one host inode become hard links to the first name
      // (import order: sorted, depth first), as mksquashfs and tar keep them.
      auto first = first_name_.find({st.st_dev, st.st_ino});
      if (first != first_name_.end()) {
        node.type = NodeType::kHardLink;
        node.target = first->second;
        auto landed = tree_.Insert(image, std::move(node), ImportInsertOptions(tree_, image, NodeType::kHardLink, false));
        if (!landed.ok()) return Fail(host, landed.error().message);
        return OkStatus();
      }
    }
    if (S_ISREG(st.st_mode)) {
      node.type = NodeType::kFile;
      node.content.host_path = host;
      node.content.size = static_cast<std::uint64_t>(st.st_size);
    } else if (S_ISLNK(st.st_mode)) {
      node.type = NodeType::kSymlink;
      node.mode = 0777;  // Linux ignores symlink modes; keep them uniform
      std::error_code ec;
      fs::path target = fs::read_symlink(host, ec);
      if (ec) return Fail(host, "cannot read symlink: " + ec.message(), ErrorCode::kIo);
      node.target = target.string();
    } else if (S_ISDIR(st.st_mode)) {
      node.type = NodeType::kDirectory;
    } else {
      return Fail(host, std::string("is a ") + SpecialKind(st.st_mode) +
                            "; overlays may only hold files, directories and symlinks");
    }

    NodeType type = node.type;
    auto opts = ImportInsertOptions(tree_, image, type, /*replace_dir_metadata=*/false);
    auto landed = tree_.Insert(image, std::move(node), opts);
    if (!landed.ok()) return Fail(host, landed.error().message);
    if (type == NodeType::kFile && st.st_nlink > 1) first_name_.emplace(std::make_pair(st.st_dev, st.st_ino), *landed);
    if (type == NodeType::kDirectory) return ImportChildren(host, image);
    return OkStatus();
  }

  Status ImportChildren(const fs::path& host, const std::string& image) {
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(host, ec), end; !ec && it != end; it.increment(ec))
      names.push_back(it->path().filename().string());
    if (ec) return Fail(host, "cannot list directory: " + ec.message(), ErrorCode::kIo);
    std::sort(names.begin(), names.end());  // readdir order is not stable; byte order is
    for (const std::string& name : names) {
      fs::path child = host / name;
      // Names reach the SBOM, the manifest and OCI layer headers, all UTF-8 (issue 14).
      if (!IsValidUtf8(name))
        return Fail(child, "file name is not valid UTF-8; rename it (kiln records names as UTF-8)");
      struct stat st {};
      if (::lstat(child.c_str(), &st) != 0)
        return Fail(child, std::string("cannot stat: ") + std::strerror(errno), ErrorCode::kIo);
      KILN_TRY(ImportOne(child, JoinImagePath(image, name), st));
    }
    return OkStatus();
  }

  Error Fail(const fs::path& host, const std::string& why, ErrorCode code = ErrorCode::kInput) {
    return MakeError(code, "overlay " + root_.string() + ": " + host.string() + ": " + why);
  }

 private:
  FileTree& tree_;
  fs::path root_;
  const std::string& origin_;
  std::map<std::pair<dev_t, ino_t>, std::string> first_name_;  // host inode -> image path
};

}  // namespace

Status ImportDirectory(FileTree& tree, const fs::path& dir, std::string_view target,
                       const std::string& origin) {
  auto image = NormalizePath(target);
  if (!image.ok())
    return MakeError(ErrorCode::kInput, "overlay " + dir.string() + ": target: " +
                                            image.error().message);
  std::error_code ec;
  fs::path abs = fs::absolute(dir, ec);  // host_path must not depend on the working directory
  if (ec) abs = dir;
  DirectoryImporter importer(tree, abs, origin);
  struct stat st {};
  // The overlay root itself may be given through a symlink (stat, not lstat).
  if (::stat(abs.c_str(), &st) != 0)
    return importer.Fail(abs, std::string("cannot stat: ") + std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) return importer.Fail(abs, "is not a directory");
  return importer.ImportOne(abs, *image, st);
}

}  // namespace kiln::tree
