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

}  // namespace kiln
