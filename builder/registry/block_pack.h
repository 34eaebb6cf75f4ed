// Block packs: the compressed squashfs blocks of a build (builder/cache/block_cache.h) as
// one tar, so that --cache-to/--cache-from share the slowest part of a cold build, not only
// the resolved base. A pack holds block cache entries as they are on disk,
// "<2 hex>/<64 hex>", sorted, mode 0644, owner 0, mtime 0: the same entries give the same
// bytes. Entries carry their own digest, which the block cache checks when it reads one, so
// a pack needs no trust beyond its registry digest; unpacking only checks names.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "builder/common/result.h"
#include "builder/recipe/recipe.h"

namespace kiln::registry {

// Writes every entry of blocks_dir whose mtime is at or after `since_marker`'s (a file made
// when the build started: hits refresh an entry's mtime, stores create it, so these are
// exactly the entries the build used, plus any a concurrent build touched) to a tar at out.
// Returns how many entries it holds.
Result<std::size_t> PackBlockEntries(const std::filesystem::path& blocks_dir,
                                     const std::filesystem::path& since_marker, const std::filesystem::path& out);

// Adds the pack's entries that blocks_dir lacks (each written to a temporary name and
// renamed). A member with any other name is an error. Returns how many were added.
Result<std::size_t> UnpackBlockEntries(const std::filesystem::path& pack, const std::filesystem::path& blocks_dir);

// The key under which a recipe's blocks are shared: its base's pinned identity (a locked
// Debian base's tree key, or a tarball base's sha256) and its root compression settings.
// Empty when the base has no pinned identity (nothing to share it by).
Result<std::string> BlockPackKey(const recipe::Recipe& recipe);

}  // namespace kiln::registry
