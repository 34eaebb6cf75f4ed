// Identity of everything a build reads: recipe files, base sources, overlays, file sources and
// the data seed. Each input is recorded in the manifest, and the build seed (from which disk
// GUID, partition UUIDs, file-system UUIDs and the verity salt derive) is a digest over all of
// them, so changing an input changes the image and nothing else does.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "builder/common/input_hooks.h"
#include "builder/common/result.h"
#include "builder/manifest/build_manifest.h"
#include "builder/recipe/recipe.h"

namespace kiln::pipeline {

using Seed = std::array<std::uint8_t, 16>;

// sha256 of a directory's canonical listing: for every entry in byte order its relative path,
// type, permission bits, and the content digest or link target. Owners and times are not
// included: kiln does not take them from overlays.
Result<std::string> DigestDirectory(const std::filesystem::path& dir);

// Inputs the recipe names directly (recipe files, overlays, [[file]] sources, data seed and a
// local base source). URIs are relative to the recipe's directory so the record does not
// depend on where the checkout lives. With `capture` (kiln build --archive) each input is also
// stored in the input archive, checked against the digest just recorded.
Result<std::vector<manifest::InputEntry>> RecipeInputs(const recipe::Recipe& recipe, InputHooks* capture = nullptr);

// Digest over every recipe file read, in load order.
Result<std::string> RecipeDigest(const recipe::Recipe& recipe);

// seed = first 16 bytes of SHA-256("kiln-seed-v1" || inputs || source_date_epoch).
Seed ComputeSeed(const std::vector<manifest::InputEntry>& inputs, std::int64_t source_date_epoch);

// Everything that identifies a build: the recipe's inputs, then the base's, and the seed over them.
// capture: as for RecipeInputs.
struct BuildIdentity {
  std::vector<manifest::InputEntry> inputs;
  Seed seed{};
};
Result<BuildIdentity> IdentifyBuild(const recipe::Recipe& recipe, const std::vector<manifest::InputEntry>& base_inputs,
                                    std::int64_t source_date_epoch, InputHooks* capture = nullptr);

// Path of p relative to the recipe directory, for records.
std::string RelativeToRecipe(const recipe::Recipe& recipe, const std::filesystem::path& p);

}  // namespace kiln::pipeline
