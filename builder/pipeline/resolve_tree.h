// Builds the image's file tree from the recipe: the base (scratch, tarball, Debian packages or
// an existing disk image), then overlays, then [[file]]/[[directory]]/[[symlink]] entries, in
// recipe order. Also returns the identity of the base inputs for the manifest and the seed.
#pragma once

#include <vector>

#include "builder/common/build_context.h"
#include "builder/common/result.h"
#include "builder/manifest/build_manifest.h"
#include "builder/recipe/recipe.h"
#include "builder/tree/content_store.h"
#include "builder/tree/file_tree.h"

namespace kiln::pipeline {

struct ResolvedTree {
  tree::FileTree tree;
  std::vector<manifest::InputEntry> base_inputs;
  std::vector<manifest::PackageEntry> packages;
};

// Base inputs only (fetching and verifying them); cheap enough to run before the seed.
Result<ResolvedTree> ResolveTree(const recipe::Recipe& recipe, const BuildContext& ctx,
                                 tree::ContentStore& store);

}  // namespace kiln::pipeline
