// The SBOMs: the root's packages, the build's inputs, and every file overlays and recipe
// entries added. SPDX always; CycloneDX when asked for (--sbom cyclonedx).
#pragma once

#include "builder/common/result.h"
#include "builder/manifest/build_manifest.h"
#include "builder/pipeline/build_outputs.h"
#include "builder/tree/file_tree.h"

namespace kiln::pipeline {

Status WriteSboms(const manifest::BuildManifest& m, const tree::FileTree& tree, bool cyclonedx, BuildOutputs& outputs);

}  // namespace kiln::pipeline
