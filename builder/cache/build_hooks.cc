#include "builder/cache/build_hooks.h"

#include <string>

#include "builder/cache/cache_prune.h"
#include "builder/common/size.h"

namespace kiln::cache {

std::unique_ptr<BlockCache> OpenBlockCacheFor(const BuildContext& ctx) {
  if (ctx.cache_dir.empty()) return nullptr;
  auto key = LoadCacheKey(ctx.cache_dir);
  if (!key.ok()) {
    ctx.Report("squashfs", "warning: block cache disabled: " + key.error().message);
    return nullptr;
  }
  auto c = BlockCache::Open(ctx.cache_dir / "blocks", *key);
  if (!c.ok()) {
    ctx.Report("squashfs", "block cache disabled: " + c.error().message);
    return nullptr;
  }
  return std::move(*c);
}

void ReportBlockCache(const BuildContext& ctx, const BlockCache& cache) {
  BlockCacheStats s = cache.stats();
  std::string msg = "block cache: " + std::to_string(s.hits) + " of " + std::to_string(s.hits + s.misses) +
                    " blocks from the cache, " + std::to_string(s.misses) + " compressed";
  if (s.corrupt > 0 || s.rejected > 0)
    msg += "; warning: ignored " + std::to_string(s.corrupt + s.rejected) + " corrupt cache entr" +
           (s.corrupt + s.rejected == 1 ? "y" : "ies") + " (" + std::to_string(s.rejected) +
           " not decompressing to their block; " + cache.first_corrupt() + ", removed)";
  if (s.write_errors > 0) msg += "; " + std::to_string(s.write_errors) + " entries could not be stored";
  ctx.Report("squashfs", msg);
}

void PruneAfterBuild(const BuildContext& ctx) {
  if (ctx.cache_dir.empty() || ctx.cache_max == 0) return;
  auto r = PruneCache(ManagedCacheDirs(ctx.cache_dir), ctx.cache_max);
  if (!r.ok()) {
    ctx.Report("cache", "cannot prune the cache: " + r.error().message);
    return;
  }
  if (r->removed > 0)
    ctx.Report("cache", "pruned " + std::to_string(r->removed) + " least recently used entries (" +
                            FormatSize(r->before.bytes) + " -> " + FormatSize(r->after.bytes) + ", --cache-max " +
                            FormatSize(ctx.cache_max) + ")");
}

}  // namespace kiln::cache
