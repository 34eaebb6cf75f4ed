#include "builder/pipeline/root_artifact.h"

#include "builder/cache/build_hooks.h"
#include "builder/squashfs/squashfs.h"

namespace kiln::pipeline {

Status WriteRootSquashfs(const recipe::Recipe& recipe, const tree::FileTree& tree, const BuildContext& ctx,
                         BuildOutputs& outputs) {
  squashfs::SquashfsOptions sopts{recipe.root.compression, recipe.root.compression_level, recipe.root.block_size,
                                  ctx.jobs, ctx.source_date_epoch};
  ctx.Report("squashfs", "writing the root file system");
  sopts.on_progress = ctx.ProgressTo("squashfs", "writing the root file system");
  std::unique_ptr<cache::BlockCache> block_cache = cache::OpenBlockCacheFor(ctx);
  sopts.block_cache = block_cache.get();
  KILN_TRY(squashfs::WriteSquashfs(tree, sopts, outputs.Path(artifacts::Role::kRootFilesystem), 0, nullptr));
  if (block_cache) cache::ReportBlockCache(ctx, *block_cache);
  outputs.Keep(artifacts::Role::kRootFilesystem);
  return OkStatus();
}

}  // namespace kiln::pipeline
