// Manifest entries (name, size, sha256) of staged artifacts. A directory artifact (an OCI
// layout) is listed file by file as "dir/relative/path".
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/manifest/build_manifest.h"

namespace kiln::pipeline {

// The entry of the file dir/name.
Result<manifest::ArtifactEntry> DescribeArtifact(const std::filesystem::path& dir, const std::string& name);

// The entries of every named artifact in dir (files, and every file of a directory), sorted
// by name.
Result<std::vector<manifest::ArtifactEntry>> DescribeArtifacts(const std::filesystem::path& dir,
                                                               const std::vector<std::string>& names);

// Inserts e into entries (sorted by name), keeping them sorted.
void InsertSorted(std::vector<manifest::ArtifactEntry>& entries, manifest::ArtifactEntry e);

}  // namespace kiln::pipeline
