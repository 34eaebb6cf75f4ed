// Imports a tar archive (plain, gzip, xz or zstd; ustar, pax or GNU) into a FileTree with
// libarchive. Used for `base.type = "tarball"` and for the tar streams other sources produce.
// Owners stay numeric, modes keep setuid/setgid/sticky, xattrs, devices, fifos and hard links
// are kept, and regular file bytes are staged in a ContentStore: nothing needs privileges.
//
// Paths: a member (or hard-link target) whose path climbs above the root ("../../etc/passwd")
// is rejected. Symlinks already in the tree are followed inside the image for the member's
// parent directories (tar extraction semantics on a chroot), so an archive holding
// "etc -> /tmp" then "etc/passwd" puts the file at "tmp/passwd" in the image: resolution
// never leaves the image, so no member can reach the host. The member itself replaces what is
// at its path, except a directory over a symlink to a directory, which keeps the link (see
// ImportInsertOptions). Directory members replace the metadata of existing directories.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "builder/common/result.h"
#include "builder/tree/content_store.h"
#include "builder/tree/file_tree.h"

namespace kiln::tree {

// Adds every member of `tarball` to `tree`, in archive order; later members win. Each node's
// origin is `origin`. Errors name the tarball and, where relevant, the member.
Status ImportTarball(FileTree& tree, const std::filesystem::path& tarball, ContentStore& store,
                     const std::string& origin);

// Like the first ImportTarball, but an uncompressed archive's regular files are not copied:
// each one's content is the range of the archive that holds it (FileContent::offset), so the
// archive must stay where it is until the image is written. Sparse members, and every member
// of a compressed archive, are staged in store as usual. For archives kiln keeps for the
// whole build (downloads and Debian bases in the cache).
Status ImportTarballInPlace(FileTree& tree, const std::filesystem::path& tarball, ContentStore& store,
                            const std::string& origin);

// True when tarball opens as a tar archive without a compression filter.
bool IsUncompressedTarball(const std::filesystem::path& tarball);

// Supplies the content of the regular file member number `file_index` (0 for the first
// regular file in archive order); `read` streams its bytes and need not be called (unread
// bytes are skipped). Used by the tarball tree cache (tarball_tree_cache.h).
using MemberContentFn =
    std::function<Result<FileContent>(std::size_t file_index, const ContentStore::ChunkReader& read)>;
Status ImportTarball(FileTree& tree, const std::filesystem::path& tarball, const MemberContentFn& content,
                     const std::string& origin);

}  // namespace kiln::tree
