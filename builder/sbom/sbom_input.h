// What a software bill of materials describes: the image, the packages installed in its root,
// the inputs it was built from and the files overlays and recipe entries added. Filled by the
// pipeline (packages from the dpkg database, inputs from the manifest, files from the tree)
// and rendered by spdx.h (SPDX 2.3) or cyclonedx.h (CycloneDX 1.5).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/manifest/build_manifest.h"
#include "builder/tree/file_tree.h"

namespace kiln::sbom {

// An installed package (mirrors sources::Package without depending on kiln_sources).
struct SbomPackage {
  std::string name;
  std::string version;
  std::string architecture;  // dpkg architecture ("amd64", "all")
  std::string source;        // source package name; "" or == name when the same
  std::string license;       // SPDX expression; "" = unknown (NOASSERTION)
  bool operator==(const SbomPackage&) const = default;
};

// A file the image gained from an overlay or a recipe entry (not from the base).
struct SbomFile {
  std::string path;    // normalised image path, no leading "/"
  std::string sha256;
  std::string sha1;    // SPDX 2.3 requires a SHA1 checksum for every file
  std::uint64_t size = 0;
  std::string origin;  // "overlay[N]" or "recipe"
  bool operator==(const SbomFile&) const = default;
};

struct SbomInput {
  std::string image_name;
  std::string image_version;
  std::string architecture;          // kiln architecture name ("x86-64")
  std::string tool_version;          // kiln version, for creators / tools
  std::int64_t source_date_epoch = 0;
  std::vector<SbomPackage> packages;
  std::vector<manifest::InputEntry> inputs;
  std::vector<SbomFile> files;
};

// Regular files (and hard links to them) whose origin is not "base", sorted by path, with
// the sha256 and sha1 of their bytes streamed from the host file or taken from the inline data.
Result<std::vector<SbomFile>> FilesFromTree(const tree::FileTree& tree);

// "pkg:deb/debian/NAME@VERSION?arch=ARCH" with the purl spec's percent-encoding (":" in an
// epoch becomes "%3A", "+" becomes "%2B").
std::string DebianPurl(const SbomPackage& p);
// Percent-encodes everything outside the purl unreserved set [A-Za-z0-9.-_~].
std::string PurlEncode(std::string_view s);

}  // namespace kiln::sbom
