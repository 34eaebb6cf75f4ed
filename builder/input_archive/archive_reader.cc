#include "builder/input_archive/archive_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "builder/common/confined_file.h"
#include "builder/common/sha256.h"
#include "builder/common/text_escape.h"
#include "builder/input_archive/blob_store.h"

namespace kiln::input_archive {

namespace fs = std::filesystem;

namespace {

std::string What(std::string_view kind, std::string_view name) {
  return "input " + std::string(kind) + " " + EscapeForTerminal(name);
}

std::vector<std::string> Components(const std::string& rel) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = rel.find('/', start);
    parts.push_back(rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

// Opens (creating when missing) every directory of `parts` below dir_fd, never following a
// symlink; returns the last one.
Result<UniqueFd> OpenDirs(int dir_fd, const std::vector<std::string>& parts, std::size_t count, const std::string& what) {
  UniqueFd cur(::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0));
  for (std::size_t i = 0; i < count; ++i) {
    if (::mkdirat(cur.get(), parts[i].c_str(), 0700) != 0 && errno != EEXIST)
      return MakeError(ErrorCode::kIo, what + ": cannot create directory " + parts[i] + ": " + std::strerror(errno));
    UniqueFd next(::openat(cur.get(), parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid())
      return MakeError(ErrorCode::kInput, what + ": " + EscapeForTerminal(parts[i]) + " is not a directory");
    cur = std::move(next);
  }
  return cur;
}

bool IsPlainFileName(std::string_view name) {
  return IsConfinedRelativePath(name) && name.find('/') == std::string_view::npos && name.front() != '.';
}

}  // namespace

Result<std::unique_ptr<ArchiveReader>> ArchiveReader::Open(const fs::path& dir) {
  KILN_ASSIGN_OR_RETURN(UniqueFd root, OpenDirectory(dir).WithContext("input archive " + dir.string()));
  KILN_ASSIGN_OR_RETURN(std::string text, ReadConfined(root.get(), kIndexFileName, kMaxIndexBytes)
                                              .WithContext("input archive " + dir.string()));
  KILN_ASSIGN_OR_RETURN(ArchiveIndex index, ParseIndex(text).WithContext(dir.string()));
  for (const auto& e : index.entries)
    if (e.is_tree && TreeDigest(e.tree) != e.sha256)
      return MakeError(ErrorCode::kIntegrity, dir.string() + ": the tree of " + What(e.kind, e.name) +
                                                  " does not match its digest " + e.sha256);
  UniqueFd blobs(::openat(root.get(), "blobs/sha256", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!blobs.valid()) return MakeError(ErrorCode::kInput, dir.string() + " has no blobs/sha256 directory");
  return std::unique_ptr<ArchiveReader>(
      new ArchiveReader(dir, std::move(blobs), std::move(index), "sha256:" + ToHex(Sha256Of(text))));
}

Status ArchiveReader::CaptureFile(std::string_view kind, std::string_view name, const fs::path&, std::string_view) {
  return MakeError(ErrorCode::kBuild, "internal: " + What(kind, name) + " captured while rebuilding from an archive");
}

Status ArchiveReader::CaptureDirectory(std::string_view kind, std::string_view name, const fs::path&, std::string_view) {
  return MakeError(ErrorCode::kBuild, "internal: " + What(kind, name) + " captured while rebuilding from an archive");
}

Result<const ArchiveEntry*> ArchiveReader::Lookup(std::string_view kind, std::string_view name,
                                                  std::string_view sha256) const {
  const ArchiveEntry* e = FindEntry(index_, kind, name);
  if (!e)
    return MakeError(ErrorCode::kInput, What(kind, name) + (sha256.empty() ? "" : " (sha256 " + std::string(sha256) + ")") +
                                            " is missing from the input archive " + dir_.string() +
                                            ", and --offline forbids fetching it");
  if (!sha256.empty() && e->sha256 != sha256)
    return MakeError(ErrorCode::kIntegrity, What(kind, name) + " in the input archive " + dir_.string() + " has sha256 " +
                                                e->sha256 + ", the build expects " + std::string(sha256));
  return e;
}

Status ArchiveReader::SupplyFile(std::string_view kind, std::string_view name, std::string_view sha256,
                                 const fs::path& dest) {
  KILN_ASSIGN_OR_RETURN(const ArchiveEntry* e, Lookup(kind, name, sha256));
  if (e->is_tree) return MakeError(ErrorCode::kInput, What(kind, name) + " is a directory in the input archive");
  return CopyBlobToFile(blobs_.get(), e->blob, e->size, dest, What(kind, name));
}

Result<std::vector<std::string>> ArchiveReader::SupplyAll(std::string_view kind, const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : index_.entries) {
    if (e.kind != kind) continue;
    if (e.is_tree || !IsPlainFileName(e.name))
      return MakeError(ErrorCode::kInput, What(e.kind, e.name) + " in the input archive is not a plain file name");
    KILN_TRY(CopyBlobToFile(blobs_.get(), e.blob, e.size, dir / e.name, What(e.kind, e.name)));
    names.push_back(e.name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Status ArchiveReader::MaterializeFile(const ArchiveEntry& e, int dir_fd, const std::string& rel, unsigned mode) const {
  const std::string what = What(e.kind, e.name);
  if (!IsConfinedRelativePath(rel)) return MakeError(ErrorCode::kInput, what + ": not a confined path");
  auto parts = Components(rel);
  KILN_ASSIGN_OR_RETURN(UniqueFd parent, OpenDirs(dir_fd, parts, parts.size() - 1, what));
  const char* leaf = parts.back().c_str();
  UniqueFd out(::openat(parent.get(), leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!out.valid() && errno == EEXIST) {
    // The same host file named twice (a [[file]] source inside an overlay): it must be identical.
    KILN_ASSIGN_OR_RETURN(UniqueFd have, OpenConfined(parent.get(), parts.back()).WithContext(what));
    KILN_ASSIGN_OR_RETURN(FileDigest d, Sha256Fd(have.get()));
    if (ToHex(d.sha256) != e.blob)
      return MakeError(ErrorCode::kInput, what + ": " + EscapeForTerminal(rel) + " is also part of another input, with other content");
    return OkStatus();
  }
  if (!out.valid()) return MakeError(ErrorCode::kIo, what + ": cannot create " + EscapeForTerminal(rel) + ": " + std::strerror(errno));
  KILN_TRY(CopyBlobOut(blobs_.get(), e.blob, e.size, out.get(), what));
  if (::fchmod(out.get(), mode & 07777) != 0)
    return MakeError(ErrorCode::kIo, what + ": cannot set the mode of " + EscapeForTerminal(rel));
  return OkStatus();
}

Status ArchiveReader::MaterializeTree(const ArchiveEntry& e, int dir_fd, const std::string& rel) const {
  const std::string what = What(e.kind, e.name);
  if (!e.is_tree) return MakeError(ErrorCode::kInput, what + " is not a directory in the input archive");
  if (!IsConfinedRelativePath(rel)) return MakeError(ErrorCode::kInput, what + ": not a confined path");
  if (TreeDigest(e.tree) != e.sha256)
    return MakeError(ErrorCode::kIntegrity, what + ": its tree does not match its digest " + e.sha256);
  auto parts = Components(rel);
  KILN_ASSIGN_OR_RETURN(UniqueFd root, OpenDirs(dir_fd, parts, parts.size(), what));
  std::vector<std::pair<std::string, unsigned>> dir_modes;  // applied last: a 0555 directory takes no files
  for (const auto& n : e.tree) {
    auto np = Components(n.path);
    switch (n.type) {
      case NodeType::kDirectory: {
        KILN_ASSIGN_OR_RETURN(UniqueFd d, OpenDirs(root.get(), np, np.size(), what));
        dir_modes.emplace_back(n.path, n.mode);
        break;
      }
      case NodeType::kSymlink: {
        KILN_ASSIGN_OR_RETURN(UniqueFd parent, OpenDirs(root.get(), np, np.size() - 1, what));
        if (::symlinkat(n.target.c_str(), parent.get(), np.back().c_str()) != 0)
          return MakeError(ErrorCode::kInput, what + ": cannot create the symlink " + EscapeForTerminal(n.path) + ": " +
                                                  std::strerror(errno));
        break;
      }
      case NodeType::kFile: {
        ArchiveEntry file;
        file.kind = e.kind;
        file.name = e.name + "/" + n.path;
        file.blob = n.blob;
        file.size = n.size;
        KILN_TRY(MaterializeFile(file, root.get(), n.path, n.mode));
        break;
      }
    }
  }
  std::sort(dir_modes.begin(), dir_modes.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  dir_modes.emplace_back(std::string(), e.mode);
  for (const auto& [path, mode] : dir_modes) {
    auto np = path.empty() ? std::vector<std::string>() : Components(path);
    KILN_ASSIGN_OR_RETURN(UniqueFd d, OpenDirs(root.get(), np, np.size(), what));
    if (::fchmod(d.get(), mode & 07777) != 0)
      return MakeError(ErrorCode::kIo, what + ": cannot set the mode of " + EscapeForTerminal(path));
  }
  return OkStatus();
}

}  // namespace kiln::input_archive
