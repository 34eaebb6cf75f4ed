// `kiln rebuild --check`: compares a rebuild with the manifest it repeats, artifact by
// artifact, and explains the first difference as a person would: a changed input, then which
// partition, then which file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/manifest/build_manifest.h"
#include "builder/recipe/recipe.h"

namespace kiln::rebuild {

// Loads the recipe and checks it is the one the manifest records (its digest over every file
// read); kInput naming both digests otherwise.
Result<recipe::Recipe> LoadRecordedRecipe(const std::filesystem::path& recipe, const manifest::BuildManifest& recorded);

// The first recorded input whose digest differs in the rebuild, or that appeared or vanished;
// empty when the inputs are the same.
std::string ExplainInputChange(const manifest::BuildManifest& recorded, const manifest::BuildManifest& rebuilt);

// The order artifacts are compared in: the root file system first (its difference can be
// explained file by file), then the disk image, then the rest as recorded.
std::vector<manifest::ArtifactEntry> ComparisonOrder(std::vector<manifest::ArtifactEntry> artifacts);

struct ArtifactMismatch {
  std::string artifact;
  std::string problem;  // "not produced by the rebuild" or the two digests
  std::string cause;    // ExplainInputChange; may be empty
  std::string diff;     // which partitions and files differ; may be empty
};

struct RebuildComparison {
  int identical = 0;                         // artifacts compared and equal (up to the first mismatch)
  std::optional<ArtifactMismatch> mismatch;  // the first difference
};

// Compares every recorded artifact with the rebuild's. When the rebuild is unsigned, the
// artifacts whose bytes depend on the signing key are skipped. recorded_dir / rebuilt_dir hold
// the files, for the explanation of a difference.
RebuildComparison CompareRebuild(const manifest::BuildManifest& recorded, const std::filesystem::path& recorded_dir,
                                 const manifest::BuildManifest& rebuilt, const std::filesystem::path& rebuilt_dir,
                                 bool signed_rebuild);

}  // namespace kiln::rebuild
