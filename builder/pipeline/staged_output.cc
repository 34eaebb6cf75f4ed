#include "builder/pipeline/staged_output.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <system_error>

#include "builder/artifacts/artifacts.h"
#include "builder/common/leftovers.h"
#include "builder/common/unique_fd.h"

namespace kiln::pipeline {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSums = artifacts::kChecksumsFileName;
constexpr const char* kReplaced = ".replaced";  // old artifacts, inside the staging directory

Status RealRename(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    return MakeError(ErrorCode::kIo, "cannot move " + from.filename().string() + " to " + to.string() + ": " +
                                         std::strerror(errno));
  return OkStatus();
}

// lstat: 0 absent, 1 a file (or anything not a directory), 2 a directory.
int KindOf(const fs::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return 0;
  return S_ISDIR(st.st_mode) ? 2 : 1;
}

}  // namespace

Result<StagedOutput> StagedOutput::Create(const fs::path& out_dir, RenameFn rename) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot create output directory " + out_dir.string() + ": " + ec.message());
  // Staging inside the output directory keeps the final renames on one file system. A
  // staging directory left by a killed build is unlocked: removed here.
  SweepAbandonedDirs(out_dir, ".kiln-staging");
  KILN_ASSIGN_OR_RETURN(TempDir staging, TempDir::Create(out_dir, ".kiln-staging"));
  return StagedOutput(out_dir, std::move(staging), rename ? std::move(rename) : RenameFn(RealRename));
}

Status StagedOutput::Commit(const SumsUpdate& sums) {
  // Builds sharing the directory publish one at a time, so neither loses the other's lines.
  UniqueFd dir(::open(out_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0)
    return MakeError(ErrorCode::kIo, "cannot open output directory " + out_dir_.string() + ": " + std::strerror(errno));
  // A file system without flock (some network ones) publishes unlocked, as before.
  while (::flock(dir.get(), LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    if (errno == ENOLCK || errno == EOPNOTSUPP) break;
    return MakeError(ErrorCode::kIo, "cannot lock output directory " + out_dir_.string() + ": " + std::strerror(errno));
  }
  KILN_TRY(StageMergedSums(sums));
  KILN_TRY(CheckTargets());
  KILN_TRY(Publish());
  // Best effort: the renames should reach the disk before the build reports success, but
  // everything is published by now, so a failing fsync is no reason to report a failure.
  if (::fsync(dir.get()) != 0) return OkStatus();
  return OkStatus();
}

Status StagedOutput::StageMergedSums(const SumsUpdate& sums) {
  // Lines to replace: this build's names, whatever the previous manifest of the same
  // NAME_VERSION listed (a format dropped since), and anything inside a directory artifact
  // (an OCI layout is replaced whole).
  std::set<std::string> replaced;
  std::vector<std::string> replaced_dirs;
  for (const auto& e : sums.entries) replaced.insert(e.name);
  for (const auto& name : kept_)
    if (KindOf(Path(name)) == 2) replaced_dirs.push_back(name + "/");
  if (!sums.manifest_name.empty()) {
    replaced.insert(sums.manifest_name);
    replaced.insert(artifacts::SignatureFileName(sums.manifest_name));
    const std::string base = artifacts::BaseOf(sums.manifest_name, artifacts::Role::kManifest);
    if (!base.empty()) replaced.insert(artifacts::FileName(artifacts::Role::kProvenance, base));
    if (auto old = ReadFile(out_dir_ / sums.manifest_name); old.ok())
      if (auto m = manifest::ParseManifest(*old); m.ok())
        for (const auto& a : m->artifacts) replaced.insert(a.name);
  }
  std::map<std::string, manifest::ArtifactEntry> merged;
  const fs::path existing = out_dir_ / kSums;
  if (KindOf(existing) == 1) {
    KILN_ASSIGN_OR_RETURN(std::string text, ReadFile(existing));
    auto old = manifest::ParseSha256Sums(text);
    if (!old.ok())
      return MakeError(ErrorCode::kInput, "cannot merge this build's checksums into " + existing.string() + ": " +
                                              old.error().message + " (move the file away to start a new one)");
    for (auto& e : *old) {
      if (replaced.contains(e.name)) continue;
      bool inside = false;
      for (const auto& d : replaced_dirs) inside = inside || e.name.starts_with(d);
      if (!inside) merged[e.name] = std::move(e);
    }
  }
  for (const auto& e : sums.entries) merged[e.name] = e;
  std::vector<manifest::ArtifactEntry> lines;
  for (auto& [name, e] : merged) lines.push_back(std::move(e));
  KILN_TRY(WriteFile(Path(std::string(kSums)), manifest::FormatSha256Sums(std::move(lines))));
  kept_.emplace_back(kSums);  // published last
  return OkStatus();
}

Status StagedOutput::CheckTargets() const {
  for (const auto& name : kept_) {
    const int staged = KindOf(Path(name));
    const int target = KindOf(out_dir_ / name);
    if (staged == 0) return MakeError(ErrorCode::kBuild, "staged artifact " + name + " is missing");
    if (target != 0 && target != staged)
      return MakeError(ErrorCode::kIo, "cannot publish " + name + ": " + (out_dir_ / name).string() + " is " +
                                           (target == 2 ? "a directory" : "not a directory") +
                                           "; nothing was published");
  }
  return OkStatus();
}

Status StagedOutput::Publish() {
  const fs::path backups = staging_dir() / kReplaced;
  std::error_code ec;
  fs::create_directory(backups, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot create " + backups.string() + ": " + ec.message());
  struct Moved {
    std::string name;
    int old_kind;  // what the target was before: 0 none, 1 file, 2 directory
  };
  std::vector<Moved> moved;
  // Puts back everything renamed so far, newest first; best effort (the error that started
  // it is what the user sees).
  auto roll_back = [&] {
    for (auto it = moved.rbegin(); it != moved.rend(); ++it) {
      const fs::path dest = out_dir_ / it->name;
      const fs::path old = backups / it->name;
      if (it->old_kind == 1) {
        ::rename(old.c_str(), dest.c_str());  // replaces the new file in one step
      } else {
        ::rename(dest.c_str(), Path(it->name).c_str());
        if (it->old_kind == 2) ::rename(old.c_str(), dest.c_str());
      }
    }
  };
  for (const auto& name : kept_) {
    const fs::path dest = out_dir_ / name;
    const fs::path old = backups / name;
    const int old_kind = KindOf(dest);
    if (old_kind == 1 && ::link(dest.c_str(), old.c_str()) != 0) {
      Error e = MakeError(ErrorCode::kIo, "cannot keep " + dest.string() + " for a roll-back: " + std::strerror(errno));
      roll_back();
      return e;
    }
    if (old_kind == 2) {
      // A directory (an OCI layout) cannot be renamed over a non-empty directory.
      if (Status s = RealRename(dest, old); !s.ok()) {
        roll_back();
        return s;
      }
    }
    if (Status s = rename_(Path(name), dest); !s.ok()) {
      if (old_kind == 2) ::rename(old.c_str(), dest.c_str());
      roll_back();
      return MakeError(s.error().code, s.error().message + "; the output directory was left as it was");
    }
    moved.push_back({name, old_kind});
  }
  return OkStatus();
}

}  // namespace kiln::pipeline
