#include "builder/pipeline/pipeline.h"

#include "builder/cache/build_hooks.h"
#include "builder/common/input_hooks.h"
#include "builder/common/sha256.h"
#include "builder/pipeline/artifact_entries.h"
#include "builder/pipeline/build_inputs.h"
#include "builder/pipeline/build_outputs.h"
#include "builder/pipeline/disk_artifacts.h"
#include "builder/pipeline/load_build.h"
#include "builder/pipeline/manifest_assembly.h"
#include "builder/pipeline/oci_artifacts.h"
#include "builder/pipeline/output_formats.h"
#include "builder/pipeline/provenance_artifact.h"
#include "builder/pipeline/resolve_tree.h"
#include "builder/pipeline/root_artifact.h"
#include "builder/pipeline/sbom_artifacts.h"
#include "builder/pipeline/staged_output.h"
#include "builder/pipeline/update_build.h"

#ifndef KILN_VERSION
#define KILN_VERSION "0.0.0"
#endif

namespace kiln::pipeline {

namespace fs = std::filesystem;

const char* KilnVersion() { return KILN_VERSION; }

Result<BuildSummary> Build(const BuildRequest& req) {
  // Load: recipe, context and signer, before any work.
  KILN_ASSIGN_OR_RETURN(LoadedBuild b, LoadBuild(req));
  const recipe::Recipe& recipe = b.recipe;
  BuildContext& ctx = b.ctx;
  const Signer* signer = b.signer ? &*b.signer : nullptr;
  KILN_ASSIGN_OR_RETURN(StagedOutput staged, StagedOutput::Create(req.out_dir));
  ctx.work_dir = staged.staging_dir() / ".work";
  fs::create_directories(ctx.work_dir);
  KILN_ASSIGN_OR_RETURN(tree::ContentStore store, tree::ContentStore::Create(ctx.work_dir / "content"));

  // Resolve the tree (the registry build cache hooks around it), then the build's identity.
  if (req.before_resolve) KILN_TRY(req.before_resolve(recipe, ctx));
  KILN_ASSIGN_OR_RETURN(ResolvedTree resolved, ResolveTree(recipe, ctx, store));
  if (req.after_resolve) KILN_TRY(req.after_resolve(recipe, ctx));
  // [update]: the agent is an input too, and the root gets the build's identity. An input
  // archive (--archive) captures the recipe's inputs where they are digested.
  KILN_ASSIGN_OR_RETURN(std::vector<manifest::InputEntry> base_inputs,
                        WithUpdateAgentInput(recipe, b.update_agent, resolved.base_inputs));
  InputHooks* capture = ctx.inputs && !ctx.inputs->Supplying() ? ctx.inputs : nullptr;
  KILN_ASSIGN_OR_RETURN(BuildIdentity id, IdentifyBuild(recipe, base_inputs, ctx.source_date_epoch, capture));
  if (recipe.update)
    KILN_TRY(ApplyUpdateIdentity(resolved.tree, recipe, signer->cert, b.update_agent,
                                 InputsDigest(id.inputs, ctx.source_date_epoch)));
  ctx.Report("tree", std::to_string(resolved.tree.size()) + " entries; seed " +
                         ToHex(std::span<const std::uint8_t>(id.seed)));
  KILN_ASSIGN_OR_RETURN(manifest::BuildManifest m,
                        StartManifest(recipe, id, ctx.source_date_epoch, resolved.packages, signer));

  // Root, verity and disk (or the root alone), OCI, SBOMs.
  BuildOutputs outputs(staged, recipe.image.name + "_" + recipe.image.version);
  if (WantsDisk(recipe))
    KILN_TRY(WriteDiskArtifacts(recipe, b.signing, signer, id.seed, resolved.tree, ctx, outputs, m));
  else if (WantsFormat(recipe, recipe::OutputFormat::kSquashfs))
    KILN_TRY(WriteRootSquashfs(recipe, resolved.tree, ctx, outputs));
  KILN_TRY(WriteOciArtifacts(recipe, resolved.tree, ctx, outputs));
  KILN_TRY(WriteSboms(m, resolved.tree, req.sbom_cyclonedx, outputs));

  // Provenance over the artifacts, then the manifest listing them all, its signature, and
  // publication (SHA256SUMS is merged with the lines of other builds in the directory).
  KILN_ASSIGN_OR_RETURN(m.artifacts, DescribeArtifacts(outputs.staging_dir(), outputs.kept()));
  KILN_TRY(WriteProvenance(m, signer, ctx, outputs));
  KILN_ASSIGN_OR_RETURN(SumsUpdate sums, WriteManifest(m, signer, outputs));
  KILN_TRY(staged.Commit(sums));

  if (req.after_build) KILN_TRY(req.after_build(recipe, ctx));
  cache::PruneAfterBuild(ctx);
  ctx.Report("build", "done: " + std::to_string(outputs.kept().size() + 1) + " artifacts in " + req.out_dir.string());
  return BuildSummary{std::move(m), req.out_dir};
}

}  // namespace kiln::pipeline
