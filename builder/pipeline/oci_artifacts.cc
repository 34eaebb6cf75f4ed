#include "builder/pipeline/oci_artifacts.h"

#include "builder/oci/layout.h"
#include "builder/oci/oci_archive.h"
#include "builder/pipeline/output_formats.h"
#include "builder/pipeline/stage_options.h"

namespace kiln::pipeline {

using artifacts::Role;

Status WriteOciArtifacts(const recipe::Recipe& recipe, const tree::FileTree& tree, const BuildContext& ctx,
                         BuildOutputs& outputs) {
  const bool layout = WantsFormat(recipe, "oci"), archive = WantsFormat(recipe, "oci-archive");
  if (!layout && !archive) return OkStatus();
  KILN_ASSIGN_OR_RETURN(oci::OciOptions oopts, OciOptionsFor(recipe, ctx.source_date_epoch, ctx.jobs));
  ctx.Report("oci", "writing the OCI image layout");
  KILN_TRY(oci::WriteOciLayout(tree, oopts, outputs.Path(Role::kOciLayout)));
  if (archive) {
    KILN_TRY(oci::WriteOciArchive(outputs.Path(Role::kOciLayout), outputs.Path(Role::kOciArchive)));
    outputs.Keep(Role::kOciArchive);
  }
  if (layout) outputs.Keep(Role::kOciLayout);
  return OkStatus();
}

}  // namespace kiln::pipeline
