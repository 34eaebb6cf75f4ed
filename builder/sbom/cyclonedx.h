// CycloneDX 1.5 JSON for an image (`--sbom cyclonedx`): the image as metadata.component,
// packages as "library" components with purls, inputs and added files as "file"
// components with SHA-256 hashes. The serialNumber is a urn:uuid derived from a digest of
// the content, so identical builds give identical documents.
#pragma once

#include <string>

#include "builder/sbom/sbom_input.h"

namespace kiln::sbom {

// Pretty-printed (2 spaces) JSON followed by a newline.
std::string MakeCycloneDx(const SbomInput& in);

}  // namespace kiln::sbom
