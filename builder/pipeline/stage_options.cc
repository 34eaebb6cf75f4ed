#include "builder/pipeline/stage_options.h"

#include <algorithm>

#include "builder/pipeline/update_build.h"

namespace kiln::pipeline {

Result<oci::OciOptions> OciOptionsFor(const recipe::Recipe& r, std::int64_t source_date_epoch, unsigned jobs) {
  oci::OciOptions o;
  o.name = r.image.name;
  o.version = r.image.version;
  o.architecture = oci::OciArchitecture(r.image.architecture);
  if (r.data) o.data_mountpoint = r.data->mountpoint;
  o.source_date_epoch = source_date_epoch;
  o.jobs = jobs;
  if (const auto& c = r.container) {
    o.container = oci::ContainerConfig{c->entrypoint, c->cmd, c->env, c->user, c->workdir, c->ports, c->labels};
    KILN_ASSIGN_OR_RETURN(o.compression, oci::ParseLayerCompression(c->compression));
    KILN_ASSIGN_OR_RETURN(o.layers, oci::ParseLayerMode(c->layers));
  }
  return o;
}

namespace {

tree::EntryKind TreeEntryKind(recipe::EntryKind k) {
  switch (k) {
    case recipe::EntryKind::kFile: return tree::EntryKind::kFile;
    case recipe::EntryKind::kDirectory: return tree::EntryKind::kDirectory;
    case recipe::EntryKind::kSymlink: return tree::EntryKind::kSymlink;
  }
  return tree::EntryKind::kFile;
}

}  // namespace

sources::DebianBaseSpec DebianBaseFor(const recipe::Recipe& r) {
  const recipe::BaseSection& b = r.base;
  std::vector<std::string> packages = b.packages;
  if (r.update) {
    // The update agent's runtime and systemd-bless-boot, unless the recipe lists them.
    for (const std::string& p : UpdateRuntimePackages(b.suite))
      if (std::find(packages.begin(), packages.end(), p) == packages.end()) packages.push_back(p);
  }
  return {b.suite, b.variant, std::move(packages), b.components, b.mirror, {b.apt.options, b.apt.keyrings},
          r.image.architecture, r.boot.loader != "none", b.snapshot, b.snapshot_mirror};
}

std::vector<tree::EntrySpec> TreeEntries(const recipe::Recipe& r) {
  std::vector<tree::EntrySpec> out;
  out.reserve(r.entries.size());
  for (const recipe::EntrySpec& e : r.entries) {
    const tree::Owner owner{e.owner.uid, e.owner.gid, e.owner.user, e.owner.group};
    out.push_back({TreeEntryKind(e.kind), e.path, e.content, e.source, e.target, e.mode, owner, e.pos});
  }
  return out;
}

std::vector<tree::UserSpec> TreeUsers(const recipe::Recipe& r) {
  std::vector<tree::UserSpec> out;
  out.reserve(r.users.size());
  for (const recipe::UserSpec& u : r.users) out.push_back({u.name, u.uid, u.gid, u.home, u.shell, u.groups, u.pos});
  return out;
}

std::vector<tree::GroupSpec> TreeGroups(const recipe::Recipe& r) {
  std::vector<tree::GroupSpec> out;
  out.reserve(r.groups.size());
  for (const recipe::GroupSpec& g : r.groups) out.push_back({g.name, g.gid, g.pos});
  return out;
}

}  // namespace kiln::pipeline
