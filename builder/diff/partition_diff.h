// The partition-table half of `kiln diff`: reads both GPTs, matches partitions by type (then
// by label for repeated types) and reports content, size, offset, label and attribute changes (a changed type shows as
// one partition removed and one added).
// Partition UUIDs and the disk GUID are content-derived in kiln images, so their changes go
// to identity notes. Also finds the root partition the file comparison reads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/diff/image_diff.h"
#include "builder/disk/gpt.h"

namespace kiln::diff {

// True when the file starts like a GPT disk (signature "EFI PART" at LBA 1).
bool LooksLikeGptDisk(const std::filesystem::path& path);
Result<disk::DiskLayout> ReadDiskLayout(const std::filesystem::path& path);
// Offset of the root (or, without one, /usr) partition; kInput when there is none.
Result<std::uint64_t> RootPartitionOffset(const disk::DiskLayout& layout, const std::filesystem::path& path);

// Matched partitions whose bytes differ get a "content" change (sha256 of each partition,
// streamed from the image files; skipped when a path is empty).
Status DiffPartitionTables(const disk::DiskLayout& a, const std::filesystem::path& a_path,
                           const disk::DiskLayout& b, const std::filesystem::path& b_path, ImageDiff* out);

}  // namespace kiln::diff
