// Cache of resolved base trees (issue 8): the tarball a Debian base resolved to, keyed by
// everything that determines its content, so a rebuild from the same lock file does not run
// mmdebstrap again. Entries are small index files pointing at a blob of the download cache:
//   <cache_dir>/base-trees/<key>   "sha256 <hex>\n" "hmac <mac>\n" -> <cache_dir>/blobs/sha256/<hex>
// No pinned digest covers a resolved tree, so the index is sealed with the user's cache key
// (builder/common/cache_key.h; the MAC covers the entry key and the blob digest): an index
// someone else wrote is ignored. Index files are written under a temporary name and renamed;
// blobs are verified by digest whenever they are read, and a corrupt, foreign or dangling
// entry is dropped and treated as a miss.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "builder/common/build_context.h"
#include "builder/common/result.h"
#include "builder/sources/debian_base_spec.h"

namespace kiln::sources {

// Bumped whenever what kiln puts into a resolved tree changes (hooks, cleanup, options).
inline constexpr int kBaseTreeCacheFormat = 1;

// sha256 hex of: cache format, lock file bytes, suite, variant, mirror, components,
// architecture, requested packages, apt options and keyring paths.
std::string DebianBaseCacheKey(std::string_view lock_bytes, const DebianBaseSpec& base,
                               std::string_view architecture);

// The verified tarball of a cached entry, or nullopt on a miss (or a corrupt entry, which is
// removed and reported through ctx).
Result<std::optional<std::filesystem::path>> LookupBaseTree(const BuildContext& ctx,
                                                            std::string_view key);

// Moves tarball into the cache under key; returns the blob path.
Result<std::filesystem::path> StoreBaseTree(const BuildContext& ctx, std::string_view key,
                                            const std::filesystem::path& tarball);

}  // namespace kiln::sources
