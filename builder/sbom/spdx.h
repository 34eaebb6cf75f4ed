// SPDX 2.3 JSON for an image (OUT/NAME_VERSION.spdx.json): the image as the described
// package, every installed package with a purl, every input with its download location and
// sha256, every file overlays and recipe entries added. Deterministic: no wall clock (created
// = SOURCE_DATE_EPOCH), a namespace derived from the content, sorted elements.
#pragma once

#include <string>

#include "builder/sbom/sbom_input.h"

namespace kiln::sbom {

// Pretty-printed (2 spaces) JSON followed by a newline.
std::string MakeSpdx(const SbomInput& in);

}  // namespace kiln::sbom
