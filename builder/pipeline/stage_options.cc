#include "builder/pipeline/stage_options.h"

#include <algorithm>

#include "builder/pipeline/update_build.h"

namespace kiln::pipeline {

oci::OciOptions OciOptionsFor(const recipe::Recipe& r, std::int64_t source_date_epoch, unsigned jobs) {
  oci::OciOptions o;
  o.name = r.image.name;
  o.version = r.image.version;
  o.architecture = oci::OciArchitecture(r.image.architecture);
  if (r.data) o.data_mountpoint = r.data->mountpoint;
  o.source_date_epoch = source_date_epoch;
  o.jobs = jobs;
  if (const auto& c = r.container) {
    o.container = static_cast<const oci::ContainerConfig&>(*c);
    o.compression = c->compression;
    o.layers = c->layers;
  }
  return o;
}

sources::DebianBaseSpec DebianBaseFor(const recipe::Recipe& r) {
  const recipe::BaseSection& b = r.base;
  std::vector<std::string> packages = b.packages;
  if (r.update) {
    // The update agent's runtime and systemd-bless-boot, unless the recipe lists them.
    for (const std::string& p : UpdateRuntimePackages(b.suite))
      if (std::find(packages.begin(), packages.end(), p) == packages.end()) packages.push_back(p);
  }
  return {b.suite,
          b.variant,
          std::move(packages),
          b.components,
          b.mirror,
          b.apt,
          r.image.architecture,
          r.boot.loader != recipe::BootLoader::kNone,
          b.snapshot,
          b.snapshot_mirror};
}

}  // namespace kiln::pipeline
