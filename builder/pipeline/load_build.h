// The first step of a build: the recipe (defaults applied by the parser), the build context
// (SOURCE_DATE_EPOCH from the environment, else [image], else 0; at least one job) and the
// signer, loaded before any work so a bad recipe or key fails at once.
#pragma once

#include <optional>

#include "builder/common/build_context.h"
#include "builder/common/result.h"
#include "builder/pipeline/pipeline.h"
#include "builder/pipeline/signer.h"
#include "builder/recipe/recipe.h"

namespace kiln::pipeline {

struct LoadedBuild {
  recipe::Recipe recipe;
  BuildContext ctx;
  SigningPaths signing;
  std::optional<Signer> signer;
};

Result<LoadedBuild> LoadBuild(const BuildRequest& req);

}  // namespace kiln::pipeline
