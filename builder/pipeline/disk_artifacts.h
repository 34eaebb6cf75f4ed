// The disk image and what is made from it: the UKI beside it, the split root (squashfs, verity
// hash tree, root hash and its signature), the VM formats and the raw image's block map. The
// disk's partitions, root hash and ESP files go into the manifest.
#pragma once

#include "builder/common/build_context.h"
#include "builder/common/result.h"
#include "builder/manifest/build_manifest.h"
#include "builder/pipeline/build_inputs.h"
#include "builder/pipeline/build_outputs.h"
#include "builder/pipeline/signer.h"
#include "builder/recipe/recipe.h"
#include "builder/tree/file_tree.h"

namespace kiln::pipeline {

Status WriteDiskArtifacts(const recipe::Recipe& recipe, const SigningPaths& signing, const Signer* signer,
                          const Seed& seed, tree::FileTree& tree, const BuildContext& ctx, BuildOutputs& outputs,
                          manifest::BuildManifest& m);

}  // namespace kiln::pipeline
