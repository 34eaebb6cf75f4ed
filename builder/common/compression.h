// The compressor of the squashfs root. A common value type rather than part of the recipe:
// the recipe parses it, squashfs compresses with it and the block caches key their entries
// by it, without squashfs or the caches depending on the recipe parser.
#pragma once

namespace kiln {

enum class Compression { kZstd, kXz, kGzip, kLz4 };

const char* CompressionName(Compression c);  // "zstd", "xz", "gzip", "lz4"

}  // namespace kiln
