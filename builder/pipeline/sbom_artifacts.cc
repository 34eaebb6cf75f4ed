#include "builder/pipeline/sbom_artifacts.h"

#include "builder/pipeline/pipeline.h"
#include "builder/sbom/cyclonedx.h"
#include "builder/sbom/sbom_input.h"
#include "builder/sbom/spdx.h"

namespace kiln::pipeline {

using artifacts::Role;

Status WriteSboms(const manifest::BuildManifest& m, const tree::FileTree& tree, bool cyclonedx, BuildOutputs& outputs) {
  sbom::SbomInput sin;
  sin.image_name = m.image_name;
  sin.image_version = m.image_version;
  sin.architecture = m.architecture;
  sin.tool_version = KilnVersion();
  sin.source_date_epoch = m.source_date_epoch;
  for (auto& p : m.packages) sin.packages.push_back({p.name, p.version, p.architecture, "", ""});
  sin.inputs = m.inputs;
  KILN_ASSIGN_OR_RETURN(sin.files, sbom::FilesFromTree(tree));
  KILN_TRY(outputs.Write(Role::kSpdxSbom, sbom::MakeSpdx(sin)));
  if (cyclonedx) KILN_TRY(outputs.Write(Role::kCycloneDxSbom, sbom::MakeCycloneDx(sin)));
  return OkStatus();
}

}  // namespace kiln::pipeline
