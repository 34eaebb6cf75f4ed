#include "builder/pipeline/load_build.h"

#include "builder/pipeline/output_formats.h"
#include "builder/recipe/recipe_parser.h"

namespace kiln::pipeline {

Result<LoadedBuild> LoadBuild(const BuildRequest& req) {
  LoadedBuild b;
  b.ctx = req.ctx;
  b.ctx.Report("recipe", "loading " + req.recipe.string());
  KILN_ASSIGN_OR_RETURN(b.recipe, recipe::LoadRecipe(req.recipe));
  b.ctx.source_date_epoch = req.source_date_epoch.value_or(b.recipe.image.source_date_epoch.value_or(0));
  if (b.ctx.jobs == 0) b.ctx.jobs = 1;
  b.signing = SigningPathsFor(req.key, req.cert, b.recipe.signing);
  // Disk images are signed unless the user asked for an unsigned build.
  KILN_ASSIGN_OR_RETURN(b.signer, LoadSigner(b.signing, WantsDisk(b.recipe) && !req.allow_unsigned));
  return b;
}

}  // namespace kiln::pipeline
