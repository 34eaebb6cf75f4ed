// Provenance: an in-toto SLSA statement over every artifact in m.artifacts, in a DSSE envelope
// signed with the build key, added to m.artifacts so the signed manifest lists it too. No
// times unless asked: the statement must stay reproducible. Unsigned builds get none.
#pragma once

#include "builder/common/build_context.h"
#include "builder/common/result.h"
#include "builder/manifest/build_manifest.h"
#include "builder/pipeline/build_outputs.h"
#include "builder/pipeline/signer.h"

namespace kiln::pipeline {

Status WriteProvenance(manifest::BuildManifest& m, const Signer* signer, const BuildContext& ctx,
                       BuildOutputs& outputs);

}  // namespace kiln::pipeline
