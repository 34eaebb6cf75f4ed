// The SBOM input with packages, inputs and files in the one order both renderers use, so
// documents do not depend on the order the pipeline collected them in.
#pragma once

#include <algorithm>
#include <tuple>

#include "builder/sbom/sbom_input.h"

namespace kiln::sbom {

inline SbomInput SortedInput(SbomInput in) {
  std::sort(in.packages.begin(), in.packages.end(), [](const SbomPackage& a, const SbomPackage& b) {
    return std::tie(a.name, a.architecture, a.version) < std::tie(b.name, b.architecture, b.version);
  });
  std::sort(in.inputs.begin(), in.inputs.end(),
            [](const manifest::InputEntry& a, const manifest::InputEntry& b) {
              return std::tie(a.uri, a.kind, a.sha256) < std::tie(b.uri, b.kind, b.sha256);
            });
  std::sort(in.files.begin(), in.files.end(),
            [](const SbomFile& a, const SbomFile& b) { return a.path < b.path; });
  return in;
}

inline bool IsUrl(const std::string& uri) { return uri.find("://") != std::string::npos; }

}  // namespace kiln::sbom
