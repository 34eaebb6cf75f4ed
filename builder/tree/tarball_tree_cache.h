// Uncompressed tarballs skip all this: their files are read in place (ImportTarballInPlace),
// which costs nothing to stage, cold or warm. The cache is for compressed ones:
// Cache of imported tarball base trees (issue 8: a rebuild must cost little more than
// writing the output). Importing a tarball streams every regular file into a content store,
// which for a Debian minbase (170 MB) is most of a rebuild once compressed blocks come from
// the block cache. With the cache, the file bytes go to a persistent content store
//   <cache_dir>/trees/blobs/<sha256 hex>
// and an index records which blob each regular file member became:
//   <cache_dir>/trees/index/<sha256("kiln-tarball-tree 2\n" + tarball sha256)>
//   "kiln-tarball-tree 2\n" "<n>\n" then n lines "<blob hex> <size>\n", then
//   "hmac <HMAC-SHA256 under the user's cache key of tarball sha256 + "\n" + everything before>\n"
// (builder/common/cache_key.h): an index someone else wrote is ignored.
// A rebuild from the same tarball reads only its headers (libarchive skips member data) and
// takes each file's content from the index, so tree metadata is always what the tarball
// says. Every blob is re-hashed (in parallel) before it is used: a corrupt or missing blob,
// or a bad index, is reported, removed, and the tarball imported again. A hit refreshes the
// mtimes that `kiln cache prune` orders entries by. Used by builder/pipeline for tarball
// bases (and by any source whose tree arrives as a tarball with a known digest).
#pragma once

#include <filesystem>
#include <string>

#include "builder/common/build_context.h"
#include "builder/common/result.h"
#include "builder/tree/content_store.h"
#include "builder/tree/file_tree.h"

namespace kiln::tree {

// Imports tarball into tree like ImportTarball. tarball_sha256 is the tarball's digest (hex;
// empty: computed here). Without ctx.cache_dir the bytes go to fallback_store as before.
Status ImportTarballCached(FileTree& tree, const std::filesystem::path& tarball, std::string tarball_sha256,
                          ContentStore& fallback_store, const BuildContext& ctx, const std::string& origin);

}  // namespace kiln::tree
