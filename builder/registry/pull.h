// `kiln pull`: fetches an image (manifest or index, config, layers) from a registry into
// an OCI image layout, verifying every digest while the bytes stream. The layout is built
// in a temporary directory beside oci_dir and renamed into place when complete. For an
// image kiln pushed, the result is byte-identical to the layout kiln wrote (index.json is
// made by builder/oci's BuildIndexJson from the tag, the config's architecture and the
// image name). Used by the CLI (cmd_push.cc).
#pragma once

#include <filesystem>
#include <string>

#include "builder/common/result.h"
#include "builder/registry/reference.h"
#include "builder/registry/registry_client.h"

namespace kiln::registry {

struct PullOptions : RegistryOptions {
  // The image name for index.json's io.containerd.image.name annotation; empty: the last
  // path component of the repository (kiln pushes NAME_VERSION.oci to .../NAME:VERSION).
  std::string image_name;
  // Replace an earlier pull in the target directory (never files kiln did not pull there).
  bool force = false;
};

struct PullResult {
  std::string manifest_digest;
  int blobs = 0;  // blobs fetched (manifests included)
};

// Writes the layout to oci_dir once the whole image is fetched and checked (pull_target.h:
// an existing non-empty oci_dir is refused unless opts.force and it holds only a layout).
Result<PullResult> PullLayout(const Reference& ref, const std::filesystem::path& oci_dir, const PullOptions& opts);

}  // namespace kiln::registry
