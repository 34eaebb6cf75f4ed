// Reads a squashfs root for `kiln diff` through libsquashfs' read API (superblock, id table,
// directory reader, data reader), never through another tool's text output and never by
// extracting anything to the host: the image is hostile input. Every entry's type, mode,
// owner, size, link target and device number comes from its inode; regular files are hashed
// by streaming their blocks through a fixed buffer. Limits bound the work a crafted image can
// cause (entries, depth, bytes hashed); loops and repeated directories are rejected.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>

#include "builder/common/result.h"
#include "builder/diff/root_listing.h"

namespace kiln::diff {

struct SquashfsLimits {
  std::uint64_t max_entries = 10'000'000;          // directory entries, all directories together
  std::uint32_t max_depth = 2048;                  // directory nesting (PATH_MAX / 2)
  std::uint64_t max_content_bytes = 256ull << 30;  // uncompressed file bytes hashed in total
  std::uint64_t max_dpkg_status_bytes = 64u << 20; // var/lib/dpkg/status read into memory
};

// Reads the squashfs that starts `offset` bytes into the host file `image` (0 for a split
// .root.squashfs, the root partition's offset for a disk image). kInput for anything
// malformed or beyond the limits.
Result<RootListing> ReadSquashfsListing(const std::filesystem::path& image, std::uint64_t offset,
                                        const SquashfsLimits& limits = {});

// The same for an image held in memory (the fuzz harness and tests).
Result<RootListing> ReadSquashfsListing(std::span<const std::uint8_t> image, const SquashfsLimits& limits = {});

}  // namespace kiln::diff
