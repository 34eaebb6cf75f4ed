#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "builder/cli/commands.h"
#include "builder/cli/event_renderer.h"
#include "builder/common/files.h"
#include "builder/pipeline/stage_options.h"
#include "builder/recipe/recipe_parser.h"
#include "builder/sources/debian_source.h"
#include "builder/sources/download_cache.h"
#include "builder/sources/lock_file.h"
#include "builder/sources/snapshot_source.h"

namespace kiln::cli {

int RunLock(const GlobalOptions& g, const std::filesystem::path& recipe_path,
            const std::optional<std::string>& snapshot) {
  auto recipe = recipe::LoadRecipe(recipe_path);
  if (!recipe.ok()) return ReportError(g, recipe.error());
  if (recipe->base.type != recipe::BaseType::kDebian)
    return ReportError(g, MakeError(ErrorCode::kUsage, "kiln lock resolves Debian package sets: " +
                                                           recipe_path.string() + " has no [base] type = \"debian\""));
  sources::DebianBaseSpec base = pipeline::DebianBaseFor(*recipe);
  auto pinned = sources::LockSnapshot(base.snapshot, snapshot, static_cast<std::int64_t>(std::time(nullptr)));
  if (!pinned.ok()) return ReportError(g, pinned.error());
  base.snapshot = *pinned;
  auto work = TempDir::Create({}, "kiln-lock");
  if (!work.ok()) return ReportError(g, work.error());
  EventRenderer render(g.json, g.quiet);
  BuildContext ctx = ContextFromOptions(g, [&render](const Event& e) { render(e); });
  if (Status c = UsePrivateCacheDir(g, ctx); !c.ok()) return ReportError(g, c.error());
  ctx.work_dir = work->path();
  const char* sde = std::getenv("SOURCE_DATE_EPOCH");
  ctx.source_date_epoch = sde ? std::atoll(sde) : recipe->image.source_date_epoch.value_or(0);
  auto lock_path = sources::LockPathFor(recipe->file);
  Status st = sources::WriteLockFile(base, ctx, lock_path);
  render.Flush();
  if (!st.ok()) return ReportError(g, st.error());
  // The snapshot is a validated timestamp: nothing in it needs escaping.
  if (g.json && base.snapshot.empty()) std::printf("{\n  \"ok\": true,\n  \"lock\": \"%s\"\n}\n", lock_path.c_str());
  else if (g.json) std::printf("{\n  \"ok\": true,\n  \"lock\": \"%s\",\n  \"snapshot\": \"%s\"\n}\n", lock_path.c_str(), base.snapshot.c_str());
  else if (base.snapshot.empty()) std::printf("wrote %s\n", lock_path.c_str());
  else std::printf("wrote %s (snapshot %s)\n", lock_path.c_str(), base.snapshot.c_str());
  return 0;
}

}  // namespace kiln::cli
