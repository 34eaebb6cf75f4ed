// The contents of an OCI image as `kiln diff` compares them: the root file system rebuilt by
// reading every layer of the image's manifest in order (gzip, zstd or plain tars, detected by
// libarchive; whiteouts ".wh.NAME" and opaque directories ".wh..wh..opq" applied as an
// overlay would), the packages in its dpkg database, and its config flattened to fields.
// Accepts an OCI layout directory (NAME_VERSION.oci/) or the same packed as a tar
// (NAME_VERSION.oci.tar, unpacked into scratch space first). Used by image_diff.cc.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "builder/common/result.h"
#include "builder/diff/root_listing.h"

namespace kiln::diff {

struct OciListing {
  RootListing root;
  std::string manifest_digest;  // "sha256:<hex>"
  // The config as reviewers read it, one compact JSON value per field: "architecture", "os",
  // "created", "user", "workingDir", "entrypoint", "cmd", "stopSignal", and one field per
  // variable, label, volume and port ("env.PATH", "label.KEY", "volume./data", "port.80/tcp").
  std::map<std::string, std::string> config;
};

// A directory holding an "oci-layout" file.
bool LooksLikeOciLayout(const std::filesystem::path& path);
// A regular file that is a tar archive (ustar magic at offset 257).
bool LooksLikeTar(const std::filesystem::path& path);

// Reads the one image the layout's index.json leads to (nested indexes followed; artifacts
// such as SBOM referrers skipped). kInput when there is none or more than one, or a blob is
// missing or malformed; errors name the layout and the blob.
Result<OciListing> ReadOciLayout(const std::filesystem::path& layout);
// Unpacks an oci-archive's index.json and blobs into a temporary directory under work_dir
// (empty: $TMPDIR), then ReadOciLayout.
Result<OciListing> ReadOciArchive(const std::filesystem::path& tar, const std::filesystem::path& work_dir);

// Flattens an image config JSON document as described for OciListing::config (for tests).
Result<std::map<std::string, std::string>> FlattenImageConfig(std::string_view config_json);

}  // namespace kiln::diff
