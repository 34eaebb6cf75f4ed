// Bounds the size of kiln's content-addressed caches (the block cache, the tarball tree
// cache): `kiln cache prune`, `kiln cache info`, and the `--cache-max` pruning after each
// build. Every regular file under the given directories is an entry; the least recently
// used (oldest mtime: a cache hit refreshes it) go first. Readers of these caches treat a
// missing entry as a miss, so pruning never breaks a later build. Leftover temporary files
// of crashed writers (".tmp-*" older than an hour) are removed too.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "builder/common/result.h"

namespace kiln::cache {

struct CacheUsage {
  std::uint64_t entries = 0;
  std::uint64_t bytes = 0;  // disk space used (allocated blocks)
  bool operator==(const CacheUsage&) const = default;
};

struct PruneResult {
  CacheUsage before;
  CacheUsage after;
  std::uint64_t removed = 0;
};

// Entries and bytes under dirs (a missing directory counts as empty).
Result<CacheUsage> MeasureCache(const std::vector<std::filesystem::path>& dirs);

// Removes least-recently-used entries under dirs until they use at most max_bytes.
Result<PruneResult> PruneCache(const std::vector<std::filesystem::path>& dirs, std::uint64_t max_bytes);

// The directories `kiln cache` manages inside a cache directory.
std::vector<std::filesystem::path> ManagedCacheDirs(const std::filesystem::path& cache_dir);

}  // namespace kiln::cache
