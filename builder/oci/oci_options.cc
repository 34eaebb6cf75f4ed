#include "builder/oci/oci_options.h"

namespace kiln::oci {

const char* OciArchitecture(Architecture a) {
  switch (a) {
    case Architecture::kX86_64: return "amd64";
    case Architecture::kArm64: return "arm64";
  }
  return "unknown";
}

}  // namespace kiln::oci
