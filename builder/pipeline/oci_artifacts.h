// The OCI image: the layout directory (format "oci") and/or the same layout as one tar
// ("oci-archive"). Nothing when neither format is asked for.
#pragma once

#include "builder/common/build_context.h"
#include "builder/common/result.h"
#include "builder/pipeline/build_outputs.h"
#include "builder/recipe/recipe.h"
#include "builder/tree/file_tree.h"

namespace kiln::pipeline {

Status WriteOciArtifacts(const recipe::Recipe& recipe, const tree::FileTree& tree, const BuildContext& ctx,
                         BuildOutputs& outputs);

}  // namespace kiln::pipeline
