#include "builder/oci/oci_options.h"

namespace kiln::oci {

const char* OciArchitecture(recipe::Architecture a) {
  switch (a) {
    case recipe::Architecture::kX86_64: return "amd64";
    case recipe::Architecture::kArm64: return "arm64";
  }
  return "unknown";
}

Result<OciOptions> OciOptionsFromRecipe(const recipe::Recipe& r, std::int64_t source_date_epoch,
                                        unsigned jobs) {
  OciOptions o;
  o.name = r.image.name;
  o.version = r.image.version;
  o.architecture = OciArchitecture(r.image.architecture);
  o.container = r.container;
  if (r.data) o.data_mountpoint = r.data->mountpoint;
  o.source_date_epoch = source_date_epoch;
  o.jobs = jobs;
  if (r.container) {
    KILN_ASSIGN_OR_RETURN(o.compression, ParseLayerCompression(r.container->compression));
    KILN_ASSIGN_OR_RETURN(o.layers, ParseLayerMode(r.container->layers));
  }
  return o;
}

}  // namespace kiln::oci
