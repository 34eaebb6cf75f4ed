// Writes a FileTree as a SquashFS 4.0 image through the public libsquashfs 1.2 API: the
// read-only root file system of every disk image and the `squashfs` output format.
// Output is deterministic (fixed image time, tree mtimes, ids in sorted order, directory
// entries in byte order) and identical for any number of compression threads. With a
// VerityHasher, the dm-verity leaf digests are computed while the image is written.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>

#include "builder/cache/block_cache.h"
#include "builder/common/compression.h"
#include "builder/common/result.h"
#include "builder/tree/file_tree.h"
#include "builder/verity/verity.h"

namespace kiln::squashfs {

struct SquashfsOptions {
  Compression compression = Compression::kZstd;
  // zstd 1-22 (default 15), xz 0-9 (default 6), gzip 1-9 (default 9); lz4 takes none.
  std::optional<int> level;
  std::uint32_t block_size = 128 * 1024;  // power of two, 4 KiB .. 1 MiB
  unsigned jobs = 1;                      // compression threads
  std::int64_t mkfs_time = 0;             // superblock time (SOURCE_DATE_EPOCH)
  // When set, data blocks are looked up here before they are compressed and stored after
  // (builder/cache/block_cache.h); the image is byte-identical either way.
  cache::BlockCache* block_cache = nullptr;
  // When set, told the file data bytes read so far of all there are (a few times a second,
  // increasing, ending with done == total); progress never changes the image.
  std::function<void(std::uint64_t done, std::uint64_t total)> on_progress = nullptr;
};

struct SquashfsStats {
  std::uint64_t size = 0;        // image bytes, padded to a multiple of 4096
  std::uint64_t inodes = 0;      // distinct inodes (hard links share one)
  std::uint64_t data_bytes = 0;  // uncompressed regular file bytes read
};

// File data is written base files first (origin "base": the tarball, Debian or disk-image
// base), then everything the recipe adds (overlays, entries, boot files), each group in
// path order: a change to an overlay file then moves no base bytes, so the fragment blocks
// packed from the base's small files stay the same and come from the block cache.
//
// Writes the image at byte `offset` of `out` (created with mode 0644 if missing, never
// truncated below what it held). Bytes before `offset` are never touched; past the padded
// end, only bytes this writer itself wrote before a deduplication truncation are zeroed
// (or cut, where the file did not reach that far before). File data
// is streamed in block-size chunks. When `verity` is non-null it receives the leaf digest
// of every 4 KiB block of the finished image; call verity->Finish(size / 4096) afterwards.
Result<SquashfsStats> WriteSquashfs(const tree::FileTree& tree, const SquashfsOptions& opts,
                                    const std::filesystem::path& out, std::uint64_t offset,
                                    verity::VerityHasher* verity);

}  // namespace kiln::squashfs
