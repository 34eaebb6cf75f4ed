// Artifacts are written into a staging directory inside the output directory and published
// together when the whole build succeeded: a failed build leaves no artifact behind, and a
// reader never sees half an image.
//
// Publication (Commit), under an exclusive flock on the output directory so that builds
// sharing it publish one after the other:
//  1. SHA256SUMS is merged: the existing file's lines for other builds are kept, the lines of
//     this NAME_VERSION's files (this build's, and those its previous manifest listed) are
//     replaced, and the result is sorted by name, staged like every other artifact.
//  2. Every target is checked before anything moves: a file that would replace a directory
//     (or the reverse) fails the build with the output directory untouched.
//  3. Renames in a fixed order: the payload (images, split files, layouts, SBOMs) first, then
//     the manifest, its signature, the provenance, and SHA256SUMS last. A crash part way
//     therefore never leaves a set that verifies: new payload files do not match the old
//     manifest and old SHA256SUMS lines, and a new manifest does not match the old signature.
//  4. A replaced file is first hard-linked into the staging directory (rename then replaces it
//     atomically); a replaced directory is moved there. When a rename fails, everything
//     already renamed is moved back in reverse order and the old files restored, so a failed
//     publication leaves the directory as it was. The staging directory is removed either way.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "builder/common/files.h"
#include "builder/common/result.h"
#include "builder/manifest/build_manifest.h"

namespace kiln::pipeline {

// What this build contributes to the shared SHA256SUMS.
struct SumsUpdate {
  std::vector<manifest::ArtifactEntry> entries;  // this build's lines
  std::string manifest_name;  // NAME_VERSION.manifest.json: an older one names stale lines to drop
};

class StagedOutput {
 public:
  // rename(2) by default; tests inject failures to check the rollback.
  using RenameFn = std::function<Status(const std::filesystem::path& from, const std::filesystem::path& to)>;

  static Result<StagedOutput> Create(const std::filesystem::path& out_dir, RenameFn rename = {});

  // Where to write artifact `name` while staging.
  std::filesystem::path Path(const std::string& name) const { return staging_.path() / name; }
  const std::filesystem::path& staging_dir() const { return staging_.path(); }
  const std::filesystem::path& out_dir() const { return out_dir_; }
  // Marks a staged file or directory as an artifact to publish. Artifacts are published in
  // the order kept; keep the manifest and its signatures last.
  void Keep(const std::string& name) { kept_.push_back(name); }
  // Merges SHA256SUMS and publishes every kept artifact, all or nothing (see above).
  Status Commit(const SumsUpdate& sums);

 private:
  StagedOutput(std::filesystem::path out_dir, TempDir staging, RenameFn rename)
      : out_dir_(std::move(out_dir)), staging_(std::move(staging)), rename_(std::move(rename)) {}
  Status StageMergedSums(const SumsUpdate& sums);
  Status CheckTargets() const;
  Status Publish();

  std::filesystem::path out_dir_;
  TempDir staging_;
  RenameFn rename_;
  std::vector<std::string> kept_;
};

}  // namespace kiln::pipeline
