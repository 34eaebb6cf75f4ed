#include "builder/input_archive/archive_writer.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "builder/common/sha256.h"
#include "builder/input_archive/blob_store.h"

namespace kiln::input_archive {

namespace fs = std::filesystem;

namespace {

std::string What(std::string_view kind, std::string_view name) {
  return "input " + std::string(kind) + " " + std::string(name);
}

// Every node below root (symlinks never followed), with file contents stored as blobs.
Status WalkTree(const fs::path& archive, const fs::path& root, const fs::path& rel, const std::string& what,
                std::vector<TreeNode>& out) {
  std::vector<std::string> names;
  std::error_code ec;
  for (auto it = fs::directory_iterator(root / rel, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    names.push_back(it->path().filename().string());
  if (ec) return MakeError(ErrorCode::kInput, "cannot list " + (root / rel).string() + ": " + ec.message());
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    const fs::path r = rel / name;
    const fs::path full = root / r;
    struct stat st {};
    if (::lstat(full.c_str(), &st) != 0)
      return MakeError(ErrorCode::kInput, "cannot stat " + full.string() + ": " + std::strerror(errno));
    TreeNode n;
    n.path = r.generic_string();
    if (S_ISDIR(st.st_mode)) {
      n.type = NodeType::kDirectory;
      n.mode = st.st_mode & 07777;
      out.push_back(n);
      KILN_TRY(WalkTree(archive, root, r, what, out));
    } else if (S_ISLNK(st.st_mode)) {
      n.type = NodeType::kSymlink;
      n.target = fs::read_symlink(full, ec).string();
      if (ec) return MakeError(ErrorCode::kInput, "cannot read the symlink " + full.string() + ": " + ec.message());
      out.push_back(n);
    } else if (S_ISREG(st.st_mode)) {
      n.type = NodeType::kFile;
      n.mode = st.st_mode & 07777;
      KILN_ASSIGN_OR_RETURN(StoredBlob b, StoreBlob(archive, full, "", what + ": " + n.path));
      n.blob = b.hex;
      n.size = b.size;
      out.push_back(n);
    } else {
      return MakeError(ErrorCode::kInput, what + ": " + full.string() + " is not a file, directory or symlink");
    }
  }
  return OkStatus();
}

}  // namespace

Result<std::unique_ptr<ArchiveWriter>> ArchiveWriter::Create(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec)))
    return MakeError(ErrorCode::kUsage, "--archive " + dir.string() + ": not an empty directory (an input archive "
                                        "holds one build's inputs)");
  fs::path parent = fs::absolute(dir, ec).lexically_normal();
  if (!parent.has_filename()) parent = parent.parent_path();
  parent = parent.parent_path();
  fs::create_directories(parent, ec);
  KILN_ASSIGN_OR_RETURN(TempDir staging, TempDir::Create(parent, ".kiln-archive"));
  fs::create_directories(staging.path() / "blobs" / "sha256", ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot create " + staging.path().string() + ": " + ec.message());
  return std::unique_ptr<ArchiveWriter>(new ArchiveWriter(dir, std::move(staging)));
}

Status ArchiveWriter::Add(ArchiveEntry e) {
  if (const ArchiveEntry* old = FindEntry(index_, e.kind, e.name)) {
    if (old->sha256 == e.sha256) return OkStatus();  // e.g. one [[file]] source used twice
    return MakeError(ErrorCode::kInput, What(e.kind, e.name) + " was read twice with different content");
  }
  index_.entries.push_back(std::move(e));
  return OkStatus();
}

Status ArchiveWriter::CaptureFile(std::string_view kind, std::string_view name, const fs::path& file,
                                  std::string_view sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  KILN_ASSIGN_OR_RETURN(StoredBlob b, StoreBlob(staging_.path(), file, sha256, What(kind, name)));
  ArchiveEntry e;
  e.kind = kind;
  e.name = name;
  e.sha256 = b.hex;
  e.blob = b.hex;
  e.size = b.size;
  return Add(std::move(e));
}

Status ArchiveWriter::CaptureDirectory(std::string_view kind, std::string_view name, const fs::path& dir,
                                       std::string_view sha256) {
  std::lock_guard<std::mutex> lock(mu_);
  ArchiveEntry e;
  e.kind = kind;
  e.name = name;
  e.sha256 = sha256;
  e.is_tree = true;
  struct stat st {};
  // The root may be given through a symlink, as the overlay importer allows.
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return MakeError(ErrorCode::kInput, What(kind, name) + ": " + dir.string() + " is not a directory");
  e.mode = st.st_mode & 07777;
  KILN_TRY(WalkTree(staging_.path(), dir, fs::path(), What(kind, name), e.tree));
  if (TreeDigest(e.tree) != sha256)
    return MakeError(ErrorCode::kIntegrity, What(kind, name) + " changed while the build read it");
  return Add(std::move(e));
}

Status ArchiveWriter::SupplyFile(std::string_view kind, std::string_view name, std::string_view, const fs::path&) {
  return MakeError(ErrorCode::kBuild, "internal: " + What(kind, name) + " asked of an archive being written");
}

Result<std::vector<std::string>> ArchiveWriter::SupplyAll(std::string_view kind, const fs::path&) {
  return MakeError(ErrorCode::kBuild, "internal: inputs " + std::string(kind) + " asked of an archive being written");
}

Result<ArchiveSummary> ArchiveWriter::Finish() {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string json = IndexToJson(index_);
  KILN_TRY(WriteFile(staging_.path() / kIndexFileName, json));
  ArchiveSummary s;
  s.index_digest = "sha256:" + ToHex(Sha256Of(json));
  s.inputs = index_.entries.size();
  for (const auto& hex : BlobsOf(index_)) {
    std::error_code ec;
    s.blob_bytes += fs::file_size(staging_.path() / "blobs" / "sha256" / hex, ec);
    ++s.blobs;
  }
  std::error_code ec;
  fs::permissions(staging_.path(), fs::perms(0755), ec);
  if (fs::exists(dir_, ec)) fs::remove(dir_, ec);  // empty (checked in Create)
  fs::rename(staging_.path(), dir_, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot move the input archive to " + dir_.string() + ": " + ec.message());
  staging_.Release();
  return s;
}

std::string ArchiveRecordFileName(const std::string& image_name, const std::string& image_version) {
  return image_name + "_" + image_version + ".archive.json";
}

Status WriteArchiveRecord(const fs::path& out_dir, const std::string& image_name, const std::string& image_version,
                          const ArchiveSummary& summary) {
  nlohmann::json j = {{"mediaType", kMediaType},
                      {"index", summary.index_digest},
                      {"inputs", summary.inputs},
                      {"blobs", summary.blobs},
                      {"blobBytes", summary.blob_bytes}};
  return WriteFileAtomic(out_dir / ArchiveRecordFileName(image_name, image_version), j.dump(2) + "\n");
}

}  // namespace kiln::input_archive
