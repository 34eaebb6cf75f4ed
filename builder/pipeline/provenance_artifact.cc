#include "builder/pipeline/provenance_artifact.h"

#include "builder/pipeline/artifact_entries.h"
#include "builder/sbom/provenance.h"

namespace kiln::pipeline {

using artifacts::Role;

Status WriteProvenance(manifest::BuildManifest& m, const Signer* signer, const BuildContext& ctx,
                       BuildOutputs& outputs) {
  if (!signer) {
    ctx.Report("provenance", "unsigned build: no provenance envelope written");
    return OkStatus();
  }
  std::string lock_sha;
  for (auto& i : m.inputs)
    if (i.kind == "debian-lock") lock_sha = i.sha256;
  KILN_ASSIGN_OR_RETURN(std::string statement, sbom::MakeProvenanceStatement(m, lock_sha));
  KILN_ASSIGN_OR_RETURN(std::string envelope, sbom::SignProvenance(statement, signer->key, m.certificate_fingerprint));
  KILN_TRY(outputs.Write(Role::kProvenance, envelope));
  KILN_ASSIGN_OR_RETURN(auto entry, DescribeArtifact(outputs.staging_dir(), outputs.Name(Role::kProvenance)));
  InsertSorted(m.artifacts, std::move(entry));
  return OkStatus();
}

}  // namespace kiln::pipeline
