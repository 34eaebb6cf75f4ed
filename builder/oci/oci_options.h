// What an OCI image is made of besides the file tree: platform, the container settings, the
// data volume, name/tag, time and how layers are cut and compressed. Filled by the pipeline
// from the recipe (pipeline/stage_options.h) and read by layout.cc / image_config.cc.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "builder/common/architecture.h"
#include "builder/oci/compressor.h"
#include "builder/oci/layer_tar.h"

namespace kiln::oci {

// The image config's runtime settings (the recipe's [container]), written as given.
struct ContainerConfig {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;
  std::string user;
  std::string workdir;
  std::vector<std::string> ports;  // "8080/tcp": ExposedPorts
  std::map<std::string, std::string> labels;
  bool operator==(const ContainerConfig&) const = default;
};

struct OciOptions {
  std::string name;                      // image name: "appliance"
  std::string version;                   // the tag: index ref.name annotation
  std::string architecture = "amd64";    // OCI (GOARCH) name: amd64 | arm64
  std::optional<ContainerConfig> container;
  std::string data_mountpoint;           // declared as a volume; empty: none
  std::int64_t source_date_epoch = 0;    // config/history `created`
  unsigned jobs = 1;                     // compression threads (output does not depend on it)
  LayerCompression compression = LayerCompression::kGzip;
  LayerMode layers = LayerMode::kSingle;
  int compression_level = -1;            // -1: the compressor's default
};

// "x86-64" -> "amd64", "arm64" -> "arm64".
const char* OciArchitecture(Architecture a);

}  // namespace kiln::oci
