// `kiln flash REGISTRY/REPO:TAG DEVICE`: flashes the raw image of a disk artifact that
// `kiln push OUT REF` pushed (registry/disk_artifact.h), with its pushed block map when there
// is one, exactly as a local image (flash.h): the target is checked first, every fetched blob
// must match its digest and size, every mapped range is read back against the map's SHA-256.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "builder/common/build_context.h"
#include "builder/common/result.h"
#include "builder/flash/flash.h"
#include "builder/registry/reference.h"
#include "builder/registry/registry_client.h"

namespace kiln::flash {

struct RegistryFlashResult {
  FlashResult flash;             // bmap_source: the block map's layer title, or "computed"
  std::string manifest_digest;   // of the artifact flashed
  std::string raw_title;         // the raw image's layer title
};

// Stages the raw image (and block map) in a temporary directory under staging_parent (empty:
// $TMPDIR or /tmp), removed on every path. Progress: stage "fetch", then Flash's stages.
Result<RegistryFlashResult> FlashFromRegistry(const registry::Reference& ref, const std::filesystem::path& target,
                                              const registry::RegistryOptions& opts,
                                              const std::filesystem::path& staging_parent,
                                              const std::function<void(const Event&)>& report);

}  // namespace kiln::flash
