// The compressor of the squashfs root. A common value type rather than part of the recipe:
// the recipe parses it, squashfs compresses with it and the block caches key their entries
// by it, without squashfs or the caches depending on the recipe parser.
#pragma once

#include <optional>

namespace kiln {

enum class Compression { kZstd, kXz, kGzip, kLz4 };

const char* CompressionName(Compression c);  // "zstd", "xz", "gzip", "lz4"

// The levels a compressor takes (libsquashfs' ranges; squashfs asserts they match), in one
// place for the recipe parser and squashfs.
struct CompressionLevels {
  int min, max;
};
// nullopt for lz4, which takes no level.
std::optional<CompressionLevels> CompressionLevelRange(Compression c);

}  // namespace kiln
