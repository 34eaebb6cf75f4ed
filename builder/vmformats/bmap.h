// Block maps in bmaptool's XML format 2.0 (NAME_VERSION.bmap): which 4 KiB blocks of a raw
// image hold data, with a SHA-256 per range of blocks and the file's own checksum. The map
// derives from the content (an all-zero block is unmapped), never from the host's sparse
// file support, so it is reproducible. `bmaptool copy` and `kiln flash` read it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "builder/common/result.h"

namespace kiln::vmformats {

inline constexpr std::uint32_t kBmapBlockSize = 4096;

struct BmapRange {
  std::uint64_t first = 0, last = 0;  // block numbers, inclusive
  std::string sha256;                 // of the range's bytes (the image's last block may be short)
  bool operator==(const BmapRange&) const = default;
};

struct BlockMap {
  std::uint64_t image_size = 0;
  std::uint32_t block_size = kBmapBlockSize;
  std::uint64_t blocks_count = 0;
  std::vector<BmapRange> ranges;  // ascending, disjoint
  std::uint64_t MappedBlocks() const;
  bool operator==(const BlockMap&) const = default;
};

// Scans a raw image (or any file) for its non-zero blocks.
Result<BlockMap> ComputeBlockMap(const std::filesystem::path& image);
// The bmap XML, with BmapFileChecksum filled in.
std::string FormatBmap(const BlockMap& map);
// Parses a bmap (hostile input: bounded, checked): version 2.x, sha256 checksums, the file
// checksum, ranges ascending inside the image.
Result<BlockMap> ParseBmap(std::string_view xml);

}  // namespace kiln::vmformats
