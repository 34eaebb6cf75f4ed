// Rebuilding from an input archive (`kiln rebuild MANIFEST --from DIR`): checks that the
// archive holds every input the manifest records, with the recorded digest (kInput naming the
// first missing one), and lays the recipe tree out again: the recipe and its includes, the
// lock file, [[file]] sources, overlays and the data seed, at their recorded paths relative to
// the recipe, below a directory the caller owns. Base inputs (.debs, apt indices, tarballs,
// images) stay in the archive: the build asks the returned reader for them (InputHooks).
#pragma once

#include <filesystem>
#include <memory>

#include "builder/common/result.h"
#include "builder/input_archive/archive_reader.h"
#include "builder/manifest/build_manifest.h"

namespace kiln::input_archive {

struct Replay {
  std::unique_ptr<ArchiveReader> reader;
  std::filesystem::path recipe;  // the materialized recipe file
};

// work_dir must exist and be private to this build; it receives the recipe tree.
Result<Replay> PrepareReplay(const std::filesystem::path& archive_dir, const manifest::BuildManifest& manifest,
                             const std::filesystem::path& work_dir);

// Splits a recorded recipe-relative path ("../../overlays/x") into its count of leading ".."
// and the confined rest; kInput for anything else (absolute, "." or ".." inside, empty).
struct RecipeRelativePath {
  std::size_t up = 0;
  std::string rest;
};
Result<RecipeRelativePath> SplitRecipeRelative(std::string_view path);

}  // namespace kiln::input_archive
