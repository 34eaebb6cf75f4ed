#include "builder/registry/pull_target.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "builder/artifacts/artifacts.h"
#include "builder/common/leftovers.h"
#include "builder/common/sha256.h"
#include "builder/manifest/build_manifest.h"

namespace kiln::registry {

namespace fs = std::filesystem;

namespace {

Error Refuse(const fs::path& target, const std::string& why) {
  return MakeError(ErrorCode::kUsage, "will not pull into " + target.string() + ": " + why);
}

bool IsRegular(const fs::path& p) {
  std::error_code ec;
  return fs::symlink_status(p, ec).type() == fs::file_type::regular;
}

bool IsRealDirectory(const fs::path& p) {
  std::error_code ec;
  return fs::symlink_status(p, ec).type() == fs::file_type::directory;
}

// The first entry of an OCI layout directory kiln would not have written, or empty.
std::string ForeignLayoutEntry(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if ((name == "oci-layout" || name == "index.json") && IsRegular(e.path())) continue;
    if (name != "blobs" || !IsRealDirectory(e.path())) return name;
    for (const auto& algo : fs::directory_iterator(e.path(), ec)) {
      if (algo.path().filename() != "sha256" || !IsRealDirectory(algo.path()))
        return "blobs/" + algo.path().filename().string();
      for (const auto& blob : fs::directory_iterator(algo.path(), ec))
        if (!IsSha256Hex(blob.path().filename().string()) || !IsRegular(blob.path()))
          return "blobs/sha256/" + blob.path().filename().string();
    }
  }
  return ec ? "(unreadable)" : "";
}

// The first entry of a disk-pull directory that is not SHA256SUMS or a file it lists, or empty.
// Every disk image artifact carries its SHA256SUMS, so an earlier pull is described by it.
std::string ForeignDiskEntry(const fs::path& dir) {
  std::set<std::string> listed;
  const std::string sums_name(artifacts::kChecksumsFileName);
  if (IsRegular(dir / sums_name)) {
    auto text = ReadFile(dir / sums_name);
    auto sums = text.ok() ? manifest::ParseSha256Sums(*text) : Result<std::vector<manifest::ArtifactEntry>>(text.error());
    if (sums.ok())
      for (const auto& s : *sums) listed.insert(s.name);
    if (sums.ok()) listed.insert(sums_name);
  }
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (!listed.count(name) || !IsRegular(e.path())) return name;
  }
  return ec ? "(unreadable)" : "";
}

}  // namespace

Status CheckPullTarget(const fs::path& target, PullKind kind, bool force) {
  std::error_code ec;
  auto st = fs::symlink_status(target, ec);
  if (st.type() == fs::file_type::not_found) return OkStatus();
  if (st.type() != fs::file_type::directory) return Refuse(target, "it exists and is not a directory");
  if (fs::is_empty(target, ec) && !ec) return OkStatus();
  if (!force) return Refuse(target, "it is not empty (pass --force to replace an earlier pull)");
  std::string foreign = kind == PullKind::kOciLayout ? ForeignLayoutEntry(target) : ForeignDiskEntry(target);
  if (!foreign.empty())
    return Refuse(target, "it holds '" + foreign + "', which kiln did not pull there (even --force replaces only "
                          "an earlier pull)");
  return OkStatus();
}

Result<TempDir> CreatePullStaging(const fs::path& target) {
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot create " + target.parent_path().string() + ": " + ec.message());
  const std::string prefix = "." + target.filename().string() + ".kiln-pull";
  SweepAbandonedDirs(target.parent_path(), prefix);  // a killed pull's staging
  KILN_ASSIGN_OR_RETURN(TempDir staging, TempDir::Create(target.parent_path(), prefix));
  fs::permissions(staging.path(), fs::perms(0755), ec);
  return staging;
}

Status PublishPull(TempDir& staging, const fs::path& target, PullKind kind, bool force) {
  KILN_TRY(CheckPullTarget(target, kind, force));  // again: the directory may have changed meanwhile
  std::error_code ec;
  if (fs::symlink_status(target, ec).type() == fs::file_type::not_found) {
    fs::rename(staging.path(), target, ec);
    if (ec) return MakeError(ErrorCode::kIo, "cannot rename " + staging.path().string() + " to " + target.string() + ": " + ec.message());
    staging.Release();
    return OkStatus();
  }
  // Swap both directories in one step; the old one (kiln's files only) then goes with staging.
  if (::renameat2(AT_FDCWD, staging.path().c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0)
    return MakeError(ErrorCode::kIo, "cannot replace " + target.string() + ": " + std::strerror(errno));
  return OkStatus();
}

}  // namespace kiln::registry
