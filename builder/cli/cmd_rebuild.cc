// `kiln rebuild MANIFEST [--check] [--from ARCHIVE]`: builds again from the recipe, lock file
// and inputs a manifest records (with --from: all of them from an input archive, offline, with
// an empty cache), with its SOURCE_DATE_EPOCH, and with --check compares every artifact
// digest, explaining the first difference as a person would: a changed input, then which
// partition, then which file.
#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "builder/artifacts/artifacts.h"
#include "builder/cli/commands.h"
#include "builder/cli/event_renderer.h"
#include "builder/common/files.h"
#include "builder/diff/diff_format.h"
#include "builder/diff/image_diff.h"
#include "builder/input_archive/replay.h"
#include "builder/manifest/build_manifest.h"
#include "builder/pipeline/build_inputs.h"
#include "builder/pipeline/pipeline.h"
#include "builder/recipe/recipe_parser.h"
#include "builder/sources/download_cache.h"

namespace kiln::cli {

namespace fs = std::filesystem;

namespace {

// The first recorded input whose digest differs in the rebuild, or that appeared/vanished.
std::string ExplainInputs(const manifest::BuildManifest& old_m, const manifest::BuildManifest& new_m) {
  std::map<std::string, std::string> before, after;
  for (auto& i : old_m.inputs) before[i.kind + " " + i.uri] = i.sha256;
  for (auto& i : new_m.inputs) after[i.kind + " " + i.uri] = i.sha256;
  for (auto& [k, v] : before) {
    auto it = after.find(k);
    if (it == after.end()) return "input " + k + " is no longer used";
    if (it->second != v) return "input " + k + " changed: sha256 " + v + " -> " + it->second;
  }
  for (auto& [k, v] : after)
    if (!before.count(k)) return "new input " + k;
  return "";
}

// Says which partition and which files differ between the recorded and the rebuilt artifact.
std::string ExplainArtifact(const fs::path& recorded, const fs::path& rebuilt) {
  std::error_code ec;
  if (!fs::exists(recorded, ec)) return "(the recorded artifact is not beside the manifest to compare)";
  auto d = diff::DiffImages(recorded, rebuilt, rebuilt.parent_path());
  if (!d.ok()) return "";
  return diff::DiffToText(*d);
}

}  // namespace

int RunRebuild(const GlobalOptions& g, const RebuildOptions& o) {
  auto text = ReadFile(o.manifest);
  if (!text.ok()) return ReportError(g, text.error());
  auto recorded = manifest::ParseManifest(*text);
  if (!recorded.ok()) return ReportError(g, std::move(recorded).WithContext(o.manifest.string()).error());
  auto work = TempDir::Create({}, "kiln-rebuild");
  if (!work.ok()) return ReportError(g, work.error());
  fs::path recipe = o.recipe.empty() ? fs::path(recorded->recipe) : o.recipe;
  // --from: the recipe tree is laid out again from the archive; base inputs come from it on demand.
  std::unique_ptr<input_archive::ArchiveReader> archive;
  if (!o.from.empty()) {
    if (!o.recipe.empty())
      return ReportError(g, MakeError(ErrorCode::kUsage, "--from takes the recipe from the input archive: drop --recipe"));
    std::error_code ec;
    fs::create_directories(work->path() / "inputs", ec);
    auto replay = input_archive::PrepareReplay(o.from, *recorded, work->path() / "inputs");
    if (!replay.ok()) return ReportError(g, replay.error());
    recipe = replay->recipe;
    archive = std::move(replay->reader);
  }
  auto loaded = recipe::LoadRecipe(recipe);
  if (!loaded.ok()) return ReportError(g, loaded.error());
  auto digest = pipeline::RecipeDigest(*loaded);
  if (!digest.ok()) return ReportError(g, digest.error());
  if (*digest != recorded->recipe_sha256)
    return ReportError(g, MakeError(ErrorCode::kInput, "recipe " + recipe.string() + " is not the one the manifest records (sha256 " +
                                                           *digest + ", recorded " + recorded->recipe_sha256 + ")"));
  EventRenderer render(g.json, g.quiet);
  pipeline::BuildRequest req;
  req.recipe = recipe;
  req.out_dir = o.out_dir.empty() ? work->path() / "out" : o.out_dir;
  req.key = o.key;
  req.cert = o.cert;
  req.allow_unsigned = o.key.empty();
  req.source_date_epoch = recorded->source_date_epoch;
  GlobalOptions build_g = g;
  if (archive) {
    build_g.offline = true;                       // the archive is the only source
    build_g.cache_dir = work->path() / "cache";   // and no cache stands in for it
  }
  req.ctx = ContextFromOptions(build_g, [&render](const Event& e) { render(e); });
  req.ctx.inputs = archive.get();
  if (Status c = UsePrivateCacheDir(build_g, req.ctx); !c.ok()) return ReportError(g, c.error());
  auto built = pipeline::Build(req);
  render.Flush();
  if (!built.ok()) return ReportError(g, built.error());
  if (!o.check) {
    std::printf("rebuilt %s %s into %s\n", built->manifest.image_name.c_str(), built->manifest.image_version.c_str(),
                req.out_dir.c_str());
    return 0;
  }
  std::map<std::string, std::string> now;
  for (auto& a : built->manifest.artifacts) now[a.name] = a.sha256;
  std::string why = ExplainInputs(*recorded, built->manifest);
  int checked = 0;
  // The root first: its difference can be explained file by file.
  auto artifacts = recorded->artifacts;
  auto rank = [](const std::string& n) {
    return artifacts::HasRole(n, artifacts::Role::kRootFilesystem) ? 0 : artifacts::HasRole(n, artifacts::Role::kDiskImage) ? 1 : 2;
  };
  std::stable_sort(artifacts.begin(), artifacts.end(),
                   [&](const manifest::ArtifactEntry& x, const manifest::ArtifactEntry& y) { return rank(x.name) < rank(y.name); });
  for (auto& a : artifacts) {
    if (artifacts::DependsOnSigningKey(a.name) && o.key.empty()) continue;  // unsigned rebuild: cannot match
    auto it = now.find(a.name);
    std::string problem;
    if (it == now.end()) problem = "not produced by the rebuild";
    else if (it->second != a.sha256) problem = "sha256 " + it->second + " differs from the recorded " + a.sha256;
    if (problem.empty()) {
      ++checked;
      continue;
    }
    std::string detail = ExplainArtifact(o.manifest.parent_path() / a.name, req.out_dir / a.name);
    if (g.json) {
      nlohmann::json j = {{"ok", false}, {"artifact", a.name}, {"problem", problem}, {"cause", why}, {"diff", detail}};
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::fprintf(stderr, "kiln: rebuild differs: %s: %s\n", a.name.c_str(), problem.c_str());
      if (!why.empty()) std::fprintf(stderr, "  because %s\n", why.c_str());
      if (!detail.empty()) std::fprintf(stderr, "%s", detail.c_str());
    }
    return 1;
  }
  if (g.json) std::printf("{\n  \"ok\": true,\n  \"artifacts\": %d\n}\n", checked);
  else std::printf("rebuild matches the manifest: %d artifact digests identical\n", checked);
  return 0;
}

}  // namespace kiln::cli
