// A libsquashfs compressor that consults kiln's block cache (builder/cache) before
// compressing a data block, and stores what it compressed on a miss: incremental builds
// compress only the blocks whose bytes changed. libsquashfs calls do_block on a private
// copy per worker thread (create_copy); all copies share the thread-safe BlockCache.
// A cached payload is used only after it decompressed to exactly the input block (and the
// cache checked its MAC); otherwise it is rejected and the block compressed again, so the
// image is byte-identical to one built without the cache whoever wrote the cache. Internal to builder/squashfs; only the
// block processor gets this compressor (metadata blocks are small and always compressed).
#pragma once

#include <string>

#include "builder/cache/block_cache.h"
#include "builder/common/result.h"
#include "builder/squashfs/sqfs_handles.h"

namespace kiln::squashfs {

// The part of a cache key that names the compressor and its settings (id, level, block
// size, flags, backend options, compression library version).
std::string CompressorCacheParams(sqfs_compressor_t* cmp);

// A copy of `inner` (the caller keeps its own) wrapped to use `cache`, which must outlive it.
Result<SqfsPtr<sqfs_compressor_t>> MakeCachedCompressor(sqfs_compressor_t* inner, cache::BlockCache* cache);

}  // namespace kiln::squashfs
