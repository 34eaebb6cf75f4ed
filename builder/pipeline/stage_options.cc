#include "builder/pipeline/stage_options.h"

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
  return {b.suite,
          b.variant,
          b.packages,
          b.components,
          b.mirror,
          {b.apt.options, b.apt.keyrings},
          r.image.architecture,
          r.boot.loader != recipe::BootLoader::kNone};
}

}  // namespace kiln::pipeline
