#include "builder/common/compression.h"

namespace kiln {

const char* CompressionName(Compression c) {
  switch (c) {
    case Compression::kZstd: return "zstd";
    case Compression::kXz: return "xz";
    case Compression::kGzip: return "gzip";
    case Compression::kLz4: return "lz4";
  }
  return "unknown";
}

std::optional<CompressionLevels> CompressionLevelRange(Compression c) {
  switch (c) {
    case Compression::kZstd: return CompressionLevels{1, 22};
    case Compression::kXz: return CompressionLevels{0, 9};
    case Compression::kGzip: return CompressionLevels{1, 9};
    case Compression::kLz4: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace kiln
