#include "builder/pipeline/artifact_entries.h"

#include <algorithm>

#include "builder/common/sha256.h"

namespace kiln::pipeline {

namespace fs = std::filesystem;

namespace {

bool ByName(const manifest::ArtifactEntry& a, const manifest::ArtifactEntry& b) { return a.name < b.name; }

// Every file of a directory artifact, as "name/relative/path", sorted.
Result<std::vector<manifest::ArtifactEntry>> DescribeTree(const fs::path& dir, const std::string& name) {
  std::vector<std::string> files;
  for (auto& e : fs::recursive_directory_iterator(dir / name))
    if (e.is_regular_file()) files.push_back(name + "/" + e.path().lexically_relative(dir / name).generic_string());
  std::sort(files.begin(), files.end());
  std::vector<manifest::ArtifactEntry> out;
  for (auto& f : files) {
    KILN_ASSIGN_OR_RETURN(auto a, DescribeArtifact(dir, f));
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

Result<manifest::ArtifactEntry> DescribeArtifact(const fs::path& dir, const std::string& name) {
  fs::path p = dir / name;
  KILN_ASSIGN_OR_RETURN(Digest d, Sha256File(p));
  std::error_code ec;
  return manifest::ArtifactEntry{name, fs::file_size(p, ec), ToHex(d)};
}

Result<std::vector<manifest::ArtifactEntry>> DescribeArtifacts(const fs::path& dir,
                                                               const std::vector<std::string>& names) {
  std::vector<manifest::ArtifactEntry> out;
  for (const auto& name : names) {
    if (fs::is_directory(dir / name)) {
      KILN_ASSIGN_OR_RETURN(auto entries, DescribeTree(dir, name));
      out.insert(out.end(), entries.begin(), entries.end());
    } else {
      KILN_ASSIGN_OR_RETURN(auto a, DescribeArtifact(dir, name));
      out.push_back(std::move(a));
    }
  }
  std::sort(out.begin(), out.end(), ByName);
  return out;
}

void InsertSorted(std::vector<manifest::ArtifactEntry>& entries, manifest::ArtifactEntry e) {
  auto at = std::upper_bound(entries.begin(), entries.end(), e, ByName);
  entries.insert(at, std::move(e));
}

}  // namespace kiln::pipeline
