#include "builder/pipeline/resolve_tree.h"

#include "builder/common/input_hooks.h"
#include "builder/common/sha256.h"
#include "builder/pipeline/build_inputs.h"
#include "builder/pipeline/stage_options.h"
#include "builder/sources/debian_source.h"
#include "builder/sources/download_cache.h"
#include "builder/sources/dpkg_status.h"
#include "builder/sources/image_source.h"
#include "builder/sources/lock_file.h"
#include "builder/tree/accounts.h"
#include "builder/tree/entries.h"
#include "builder/tree/overlay.h"
#include "builder/tree/services.h"
#include "builder/tree/tarball_reader.h"
#include "builder/tree/tarball_tree_cache.h"

namespace kiln::pipeline {

namespace fs = std::filesystem;

namespace {

// A tarball or disk image named by the recipe: fetched into the cache when it is an URL,
// verified in place when it is a local path; captured into an input archive (--archive), or
// supplied from one (rebuild --from) instead of either.
Result<fs::path> ObtainBaseFile(const recipe::Recipe& recipe, const BuildContext& ctx,
                                std::vector<manifest::InputEntry>& inputs, const char* kind) {
  const auto& base = recipe.base;
  const std::string name = base.source_is_url ? base.source : RelativeToRecipe(recipe, base.source);
  if (ctx.inputs && ctx.inputs->Supplying()) {
    if (base.sha256.empty())
      return MakeError(ErrorCode::kInput, "base " + name + " has no sha256 in the recipe: it cannot be rebuilt from an input archive");
    fs::path p = ctx.work_dir / (std::string("archived-") + kind);
    ctx.Report("sources", "base " + std::string(kind) + " " + name + " from the input archive");
    KILN_TRY(ctx.inputs->SupplyFile(kind, name, base.sha256, p));
    inputs.push_back({kind, name, base.sha256});
    return p;
  }
  fs::path p = base.source;
  if (base.source_is_url) {
    ctx.Report("sources", "fetching " + base.source);
    KILN_ASSIGN_OR_RETURN(p, sources::Fetch({base.source, base.sha256}, ctx));
    inputs.push_back({kind, name, base.sha256.empty() ? ToHex(*Sha256File(p)) : base.sha256});
  } else {
    KILN_ASSIGN_OR_RETURN(Digest d, sources::VerifyLocalFile(p, base.sha256));
    inputs.push_back({kind, name, ToHex(d)});
  }
  if (ctx.inputs) KILN_TRY(ctx.inputs->CaptureFile(kind, name, p, inputs.back().sha256));
  return p;
}

// POSIX ACLs (system.posix_acl_*) have no place in squashfs, whose kernel driver only knows
// the user., trusted. and security. namespaces; systemd's packages set a few (journal
// directories). They are dropped from the one tree every output reads, so the disk and the
// OCI image stay the same root, and the build says where.
void DropPosixAcls(tree::FileTree& tree, const BuildContext& ctx) {
  std::vector<std::string> paths;
  for (const auto& [path, node] : tree.nodes()) {
    for (const char* key : {"system.posix_acl_access", "system.posix_acl_default"})
      if (node.xattrs.contains(key)) {
        paths.push_back("/" + path);
        break;
      }
  }
  if (paths.empty()) return;
  for (const std::string& p : paths) {
    tree::FileNode* node = tree.FindMutable(p.substr(1));
    node->xattrs.erase("system.posix_acl_access");
    node->xattrs.erase("system.posix_acl_default");
  }
  ctx.Report("tree", "dropped POSIX ACLs on " + std::to_string(paths.size()) + " path(s) (squashfs cannot store "
                     "them; modes are kept): " + paths.front() + (paths.size() > 1 ? ", ..." : ""));
}

}  // namespace

Result<ResolvedTree> ResolveTree(const recipe::Recipe& recipe, const BuildContext& ctx,
                                 tree::ContentStore& store) {
  ResolvedTree out{tree::FileTree(ctx.source_date_epoch), {}, {}};
  switch (recipe.base.type) {
    case recipe::BaseType::kScratch:
      break;
    case recipe::BaseType::kTarball: {
      KILN_ASSIGN_OR_RETURN(fs::path p, ObtainBaseFile(recipe, ctx, out.base_inputs, "tarball"));
      ctx.Report("tree", "reading base tarball " + p.filename().string());
      KILN_TRY(tree::ImportTarballCached(out.tree, p, out.base_inputs.back().sha256, store, ctx, "base"));
      break;
    }
    case recipe::BaseType::kDebian: {
      fs::path lock = sources::LockPathFor(recipe.file);
      std::error_code ec;
      if (!fs::exists(lock, ec)) {
        ctx.Report("sources", "no lock file " + lock.filename().string() +
                                  ": package versions are not pinned (run `kiln lock`)");
        lock.clear();
      }
      KILN_ASSIGN_OR_RETURN(auto records, sources::ImportDebianBase(DebianBaseFor(recipe), ctx, lock, out.tree, store));
      for (auto& r : records) out.base_inputs.push_back({r.kind, r.uri, r.sha256});
      break;
    }
    case recipe::BaseType::kImage: {
      KILN_ASSIGN_OR_RETURN(fs::path p, ObtainBaseFile(recipe, ctx, out.base_inputs, "image"));
      KILN_TRY(sources::ImportDiskImage(out.tree, p, store, ctx, "base"));
      break;
    }
  }
  // What the base installed, from its own package database (absent for most scratch images).
  if (out.tree.Find("var/lib/dpkg/status")) {
    KILN_ASSIGN_OR_RETURN(auto packages, sources::ReadDpkgStatus(out.tree));
    for (auto& p : packages) out.packages.push_back({p.name, p.version, p.architecture});
  }
  for (std::size_t i = 0; i < recipe.overlays.size(); ++i) {
    const auto& o = recipe.overlays[i];
    ctx.Report("tree", "overlay " + RelativeToRecipe(recipe, o.source) + " -> " + o.target);
    KILN_TRY(tree::ImportDirectory(out.tree, o.source, o.target, "overlay[" + std::to_string(i) + "]")
                 .WithContext(o.pos.ToString()));
  }
  // Accounts before entries, so entries may name the recipe's users and groups as owners;
  // services last, so their units may come from any input.
  KILN_TRY(tree::ApplyAccounts(out.tree, recipe.groups, recipe.users,
                               {ctx.source_date_epoch, recipe.data ? recipe.data->mountpoint : ""}));
  KILN_TRY(tree::ApplyEntries(out.tree, recipe.entries));
  KILN_TRY(tree::EnableServices(out.tree, recipe.services_enable, recipe.services_pos));
  DropPosixAcls(out.tree, ctx);
  KILN_TRY(out.tree.Validate());
  return out;
}

}  // namespace kiln::pipeline
