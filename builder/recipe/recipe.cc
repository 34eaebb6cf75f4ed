#include "builder/recipe/recipe.h"

namespace kiln::recipe {

std::string SourcePos::ToString() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

const char* ArchitectureName(Architecture a) {
  switch (a) {
    case Architecture::kX86_64: return "x86-64";
    case Architecture::kArm64: return "arm64";
  }
  return "unknown";
}

Architecture HostArchitecture() {
#if defined(__aarch64__)
  return Architecture::kArm64;
#else
  return Architecture::kX86_64;
#endif
}

const char* CompressionName(Compression c) {
  switch (c) {
    case Compression::kZstd: return "zstd";
    case Compression::kXz: return "xz";
    case Compression::kGzip: return "gzip";
    case Compression::kLz4: return "lz4";
  }
  return "unknown";
}

}  // namespace kiln::recipe
