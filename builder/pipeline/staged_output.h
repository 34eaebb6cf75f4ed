// Artifacts are written into a staging directory inside the output directory and renamed
// into place only when the whole build succeeded: a failed build leaves no artifact behind,
// and a reader never sees half an image.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "builder/common/files.h"
#include "builder/common/result.h"

namespace kiln::pipeline {

class StagedOutput {
 public:
  static Result<StagedOutput> Create(const std::filesystem::path& out_dir);

  // Where to write artifact `name` while staging.
  std::filesystem::path Path(const std::string& name) const { return staging_.path() / name; }
  const std::filesystem::path& staging_dir() const { return staging_.path(); }
  const std::filesystem::path& out_dir() const { return out_dir_; }
  // Marks a staged file or directory as an artifact to publish.
  void Keep(const std::string& name) { kept_.push_back(name); }
  // Renames every kept artifact into the output directory, replacing older ones.
  Status Commit();

 private:
  StagedOutput(std::filesystem::path out_dir, TempDir staging)
      : out_dir_(std::move(out_dir)), staging_(std::move(staging)) {}
  std::filesystem::path out_dir_;
  TempDir staging_;
  std::vector<std::string> kept_;
};

}  // namespace kiln::pipeline
