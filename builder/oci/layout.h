// OCI image layout output (`formats = ["oci"]`, OUT/NAME_VERSION.oci/) and its check.
// WriteOciLayout streams each layer from the file tree through tar, compression and
// hashing into blobs/sha256, then writes config, manifest, index.json (tagged with the
// version) and oci-layout. Everything is staged in a temporary directory beside out_dir
// and renamed into place only when complete, so a failed build leaves nothing behind.
// Identical tree + options give identical bytes, whatever `jobs` is.
// Used by the pipeline; VerifyOciLayout by `kiln verify`.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/oci/blob_store.h"
#include "builder/oci/oci_options.h"
#include "builder/tree/file_tree.h"

namespace kiln::oci {

struct OciResult {
  std::filesystem::path dir;             // the final layout directory
  std::string tag;                       // the index ref.name (= version)
  Descriptor manifest;                   // the digest is the image's identity
  Descriptor config;
  std::vector<LayerBlob> layers;         // bottom first: digest, diff_id, sizes
  std::vector<std::string> layer_names;  // "rootfs", or the origins for per-source
};

// Writes the layout to out_dir (replacing an existing one atomically when the file system
// allows it). Errors name the entry or file involved.
Result<OciResult> WriteOciLayout(const tree::FileTree& tree, const OciOptions& opts,
                                 const std::filesystem::path& out_dir);

// Checks oci-layout, index.json and, recursively through manifests (and nested indexes),
// every referenced blob's size and digest. Returns a kIntegrity error naming the first
// mismatching or missing blob, kInput for a missing or malformed layout file.
Status VerifyOciLayout(const std::filesystem::path& dir);

}  // namespace kiln::oci
