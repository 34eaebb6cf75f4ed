#include "builder/rebuild/rebuild_check.h"

#include <algorithm>
#include <map>

#include "builder/artifacts/artifacts.h"
#include "builder/diff/diff_format.h"
#include "builder/diff/image_diff.h"
#include "builder/pipeline/build_inputs.h"
#include "builder/recipe/recipe_parser.h"

namespace kiln::rebuild {

namespace fs = std::filesystem;

namespace {

// Which partition and which files differ between the recorded and the rebuilt artifact.
std::string ExplainArtifact(const fs::path& recorded, const fs::path& rebuilt) {
  std::error_code ec;
  if (!fs::exists(recorded, ec)) return "(the recorded artifact is not beside the manifest to compare)";
  auto d = diff::DiffImages(recorded, rebuilt, rebuilt.parent_path());
  if (!d.ok()) return "";
  return diff::DiffToText(*d);
}

}  // namespace

Result<recipe::Recipe> LoadRecordedRecipe(const fs::path& recipe, const manifest::BuildManifest& recorded) {
  KILN_ASSIGN_OR_RETURN(recipe::Recipe loaded, recipe::LoadRecipe(recipe));
  KILN_ASSIGN_OR_RETURN(std::string digest, pipeline::RecipeDigest(loaded));
  if (digest != recorded.recipe_sha256)
    return MakeError(ErrorCode::kInput, "recipe " + recipe.string() + " is not the one the manifest records (sha256 " +
                                            digest + ", recorded " + recorded.recipe_sha256 + ")");
  return loaded;
}

std::string ExplainInputChange(const manifest::BuildManifest& recorded, const manifest::BuildManifest& rebuilt) {
  std::map<std::string, std::string> before, after;
  for (auto& i : recorded.inputs) before[i.kind + " " + i.uri] = i.sha256;
  for (auto& i : rebuilt.inputs) after[i.kind + " " + i.uri] = i.sha256;
  for (auto& [k, v] : before) {
    auto it = after.find(k);
    if (it == after.end()) return "input " + k + " is no longer used";
    if (it->second != v) return "input " + k + " changed: sha256 " + v + " -> " + it->second;
  }
  for (auto& [k, v] : after)
    if (!before.count(k)) return "new input " + k;
  return "";
}

std::vector<manifest::ArtifactEntry> ComparisonOrder(std::vector<manifest::ArtifactEntry> artifacts) {
  auto rank = [](const std::string& n) {
    return artifacts::HasRole(n, artifacts::Role::kRootFilesystem) ? 0
           : artifacts::HasRole(n, artifacts::Role::kDiskImage)    ? 1
                                                                   : 2;
  };
  std::stable_sort(
      artifacts.begin(), artifacts.end(),
      [&](const manifest::ArtifactEntry& x, const manifest::ArtifactEntry& y) { return rank(x.name) < rank(y.name); });
  return artifacts;
}

RebuildComparison CompareRebuild(const manifest::BuildManifest& recorded, const fs::path& recorded_dir,
                                 const manifest::BuildManifest& rebuilt, const fs::path& rebuilt_dir,
                                 bool signed_rebuild) {
  std::map<std::string, std::string> now;
  for (auto& a : rebuilt.artifacts) now[a.name] = a.sha256;
  RebuildComparison out;
  for (auto& a : ComparisonOrder(recorded.artifacts)) {
    if (artifacts::DependsOnSigningKey(a.name) && !signed_rebuild) continue;  // cannot match
    auto it = now.find(a.name);
    std::string problem;
    if (it == now.end())
      problem = "not produced by the rebuild";
    else if (it->second != a.sha256)
      problem = "sha256 " + it->second + " differs from the recorded " + a.sha256;
    if (problem.empty()) {
      ++out.identical;
      continue;
    }
    out.mismatch = ArtifactMismatch{a.name, problem, ExplainInputChange(recorded, rebuilt),
                                    ExplainArtifact(recorded_dir / a.name, rebuilt_dir / a.name)};
    return out;
  }
  return out;
}

}  // namespace kiln::rebuild
