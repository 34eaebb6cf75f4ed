// What a build output directory holds, read back from its SHA256SUMS for `kiln build` to list:
// every published file with its size and digest, and the files inside a directory artifact (an
// OCI layout) counted under the directory's name.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/manifest/build_manifest.h"

namespace kiln::manifest {

struct PublishedFiles {
  std::vector<ArtifactEntry> files;            // top-level files, in SHA256SUMS order, sizes from disk
  std::map<std::string, std::size_t> layouts;  // "NAME_VERSION.oci/" -> how many files it holds
};

// kInput when SHA256SUMS is missing, too large or not in sha256sum format.
Result<PublishedFiles> ReadPublishedFiles(const std::filesystem::path& out_dir);

}  // namespace kiln::manifest
