// The JSON documents of an OCI image (image-spec 1.1): config, manifest, index and the
// oci-layout marker, serialised deterministically (keys in byte order, no whitespace).
// Used by layout.cc; the names and constants are shared with oci_archive.cc and verify.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/oci/blob_store.h"
#include "builder/oci/oci_options.h"

namespace kiln::oci {

inline constexpr const char* kMediaTypeConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kMediaTypeManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kMediaTypeIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kAnnotationRefName = "org.opencontainers.image.ref.name";
// What `docker save` (25+) and containerd put beside ref.name: the full image name.
inline constexpr const char* kAnnotationImageName = "io.containerd.image.name";
inline constexpr const char* kOciLayoutJson = "{\"imageLayoutVersion\":\"1.0.0\"}";

// A docker-compatible tag from a version: characters outside [A-Za-z0-9_.-] become '_',
// at most 128 characters ("1.0+git" -> "1.0_git").
std::string DockerTag(std::string_view version);

// The image config. `layer_names` (one per layer) become the history comments.
Result<std::string> BuildConfigJson(const OciOptions& opts, const std::vector<LayerBlob>& layers,
                                    const std::vector<std::string>& layer_names);
Result<std::string> BuildManifestJson(const Descriptor& config, const std::vector<LayerBlob>& layers);
// The index with one manifest, tagged opts.version.
Result<std::string> BuildIndexJson(const Descriptor& manifest, const OciOptions& opts);

}  // namespace kiln::oci
