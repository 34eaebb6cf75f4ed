#include "builder/common/architecture.h"

namespace kiln {

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

}  // namespace kiln
