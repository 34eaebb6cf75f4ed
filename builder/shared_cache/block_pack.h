// Block packs: the compressed squashfs blocks of a build (builder/cache/block_cache.h) as
// one tar, so that --cache-to/--cache-from share the slowest part of a cold build, not only
// the resolved base. A pack holds one member per block cache entry, "<2 hex>/<64 hex>"
// (the entry's key), sorted, mode 0644, owner 0, mtime 0: the same entries give the same
// bytes. A member is the entry in its public form:
//   "KILNBLK1" | u32le kind | u32le payload size | sha256(key, kind, size, payload) | payload
// (a local entry's MAC is under its user's secret key, which never leaves the machine). The
// self-digest only catches damage: a pack is trusted through its signature, which the
// registry cache (build_cache.cc) checks before it unpacks anything, and every block is
// still checked to decompress to its input when it is used.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "builder/cache/block_cache.h"
#include "builder/common/result.h"
#include "builder/recipe/recipe.h"
#include "builder/sources/debian_base_spec.h"

namespace kiln::shared_cache {

// Writes every entry of `cache` whose mtime is at or after `since_marker`'s (a file made
// when the build started: hits refresh an entry's mtime, stores create it, so these are
// exactly the entries the build used, plus any a concurrent build touched) to a tar at out.
// Entries that fail their MAC are left out. Returns how many entries it holds.
Result<std::size_t> PackBlockEntries(cache::BlockCache& cache, const std::filesystem::path& since_marker,
                                     const std::filesystem::path& out);

// Adds the pack's entries that `cache` lacks, sealed with its key. Call it only for a pack
// whose signature verified. A member with another name or type, a size beyond any block, or
// a self-digest that does not match is a kIntegrity error. Returns how many were added.
Result<std::size_t> UnpackBlockEntries(const std::filesystem::path& pack, cache::BlockCache& cache);

// The key under which a recipe's blocks are shared: its base's pinned identity (a locked
// Debian base's tree key, or a tarball base's sha256) and its root compression settings.
// Empty when the base has no pinned identity (nothing to share it by).
// debian_base: the recipe's Debian base (pipeline::DebianBaseFor).
Result<std::string> BlockPackKey(const recipe::Recipe& recipe, const sources::DebianBaseSpec& debian_base);

}  // namespace kiln::shared_cache
