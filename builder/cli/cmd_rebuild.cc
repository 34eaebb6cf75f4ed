// `kiln rebuild MANIFEST [--check] [--from ARCHIVE]`: builds again from the recipe, lock file
// and inputs a manifest records (with --from: all of them from an input archive, offline, with
// an empty cache), with its SOURCE_DATE_EPOCH, and with --check compares every artifact
// digest, explaining the first difference as a person would: a changed input, then which
// partition, then which file.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "builder/cli/commands.h"
#include "builder/cli/event_renderer.h"
#include "builder/common/files.h"
#include "builder/diff/diff_format.h"
#include "builder/diff/image_diff.h"
#include "builder/input_archive/replay.h"
#include "builder/manifest/build_manifest.h"
#include "builder/pipeline/pipeline.h"
#include "builder/rebuild/rebuild_check.h"
#include "builder/sources/download_cache.h"

namespace kiln::cli {

namespace fs = std::filesystem;

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
  auto loaded = rebuild::LoadRecordedRecipe(recipe, *recorded);
  if (!loaded.ok()) return ReportError(g, loaded.error());
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
  const rebuild::RebuildComparison c =
      rebuild::CompareRebuild(*recorded, o.manifest.parent_path(), built->manifest, req.out_dir, !o.key.empty());
  if (const auto& m = c.mismatch) {
    if (g.json) {
      nlohmann::json j = {
          {"ok", false}, {"artifact", m->artifact}, {"problem", m->problem}, {"cause", m->cause}, {"diff", m->diff}};
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::fprintf(stderr, "kiln: rebuild differs: %s: %s\n", m->artifact.c_str(), m->problem.c_str());
      if (!m->cause.empty()) std::fprintf(stderr, "  because %s\n", m->cause.c_str());
      if (!m->diff.empty()) std::fprintf(stderr, "%s", m->diff.c_str());
    }
    return 1;
  }
  const int checked = c.identical;
  if (g.json) std::printf("{\n  \"ok\": true,\n  \"artifacts\": %d\n}\n", checked);
  else std::printf("rebuild matches the manifest: %d artifact digests identical\n", checked);
  return 0;
}

}  // namespace kiln::cli
