// How a build uses the block cache: open it under the build's cache directory, say in the
// build log what it saved, and keep the caches under --cache-max afterwards. Used by
// builder/pipeline (disk images and squashfs outputs).
#pragma once

#include <memory>

#include "builder/cache/block_cache.h"
#include "builder/common/build_context.h"

namespace kiln::cache {

// <ctx.cache_dir>/blocks, or nullptr when there is no cache directory or it cannot be
// created (reported as an event: the build goes on without the cache).
std::unique_ptr<BlockCache> OpenBlockCacheFor(const BuildContext& ctx);

// One event (stage "squashfs") with how many blocks came from the cache, how many were
// compressed, and any corrupt entry that was ignored.
void ReportBlockCache(const BuildContext& ctx, const BlockCache& cache);

// Prunes the managed caches to ctx.cache_max bytes (0: no limit); errors become events.
void PruneAfterBuild(const BuildContext& ctx);

}  // namespace kiln::cache
