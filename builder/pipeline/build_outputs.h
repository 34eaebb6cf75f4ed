// The artifacts of one build while they are staged: each named from the artifact set
// (builder/artifacts) after NAME_VERSION, kept for publication in the order produced.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "builder/artifacts/artifacts.h"
#include "builder/common/result.h"
#include "builder/pipeline/staged_output.h"

namespace kiln::pipeline {

class BuildOutputs {
 public:
  // base: NAME_VERSION.
  BuildOutputs(StagedOutput& staged, std::string base) : staged_(staged), base_(std::move(base)) {}

  const std::string& base() const { return base_; }
  std::string Name(artifacts::Role role) const { return artifacts::FileName(role, base_); }
  std::filesystem::path Path(const std::string& name) const { return staged_.Path(name); }
  std::filesystem::path Path(artifacts::Role role) const { return staged_.Path(Name(role)); }
  const std::filesystem::path& staging_dir() const { return staged_.staging_dir(); }

  // Marks a staged file or directory as an artifact of this build.
  void Keep(const std::string& name);
  void Keep(artifacts::Role role) { Keep(Name(role)); }
  // Writes the role's file and keeps it.
  Status Write(artifacts::Role role, std::string_view content);

  // Every artifact kept so far, in the order produced.
  const std::vector<std::string>& kept() const { return kept_; }

 private:
  StagedOutput& staged_;
  std::string base_;
  std::vector<std::string> kept_;
};

}  // namespace kiln::pipeline
