// The root file system alone (the squashfs format without a disk image).
#pragma once

#include "builder/common/build_context.h"
#include "builder/common/result.h"
#include "builder/pipeline/build_outputs.h"
#include "builder/recipe/recipe.h"
#include "builder/tree/file_tree.h"

namespace kiln::pipeline {

Status WriteRootSquashfs(const recipe::Recipe& recipe, const tree::FileTree& tree, const BuildContext& ctx,
                         BuildOutputs& outputs);

}  // namespace kiln::pipeline
