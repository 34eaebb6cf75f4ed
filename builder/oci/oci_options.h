// What an OCI image is made of besides the file tree: platform, the recipe's [container]
// settings, the data volume, name/tag, time and how layers are cut and compressed.
// Filled by the pipeline (OciOptionsFromRecipe) and read by layout.cc / image_config.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "builder/common/result.h"
#include "builder/oci/compressor.h"
#include "builder/oci/layer_tar.h"
#include "builder/recipe/recipe.h"

namespace kiln::oci {

struct OciOptions {
  std::string name;                      // image name: "appliance"
  std::string version;                   // the tag: index ref.name annotation
  std::string architecture = "amd64";    // OCI (GOARCH) name: amd64 | arm64
  std::optional<recipe::ContainerSection> container;
  std::string data_mountpoint;           // declared as a volume; empty: none
  std::int64_t source_date_epoch = 0;    // config/history `created`
  unsigned jobs = 1;                     // compression threads (output does not depend on it)
  LayerCompression compression = LayerCompression::kGzip;
  LayerMode layers = LayerMode::kSingle;
  int compression_level = -1;            // -1: the compressor's default
};

// "x86-64" -> "amd64", "arm64" -> "arm64".
const char* OciArchitecture(recipe::Architecture a);

// Options from a parsed recipe ([image], [container], [data]); errors for a layer mode or
// compression outside the allowed sets.
Result<OciOptions> OciOptionsFromRecipe(const recipe::Recipe& r, std::int64_t source_date_epoch,
                                        unsigned jobs);

}  // namespace kiln::oci
