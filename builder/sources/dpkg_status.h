// The packages installed in an image, read from its dpkg database (var/lib/dpkg/status) in
// the file tree. Feeds the build manifest and the SBOM (purls, licenses where known).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "builder/common/result.h"
#include "builder/tree/file_tree.h"

namespace kiln::sources {

struct Package {
  std::string name;
  std::string version;
  std::string architecture;
  std::string source;   // source package name (the binary name when the same)
  std::string source_version;  // version of the source package (the binary's when the same)
  std::string license;  // SPDX expression when known; "" = unknown (dpkg does not record it)
  bool operator==(const Package&) const = default;
};

// Installed packages ("Status: install ok installed"), sorted by name then architecture.
// A tree without var/lib/dpkg/status gives an empty list; a malformed stanza is a kInput
// error naming its line.
Result<std::vector<Package>> ParseDpkgStatus(std::string_view text);
Result<std::vector<Package>> ReadDpkgStatus(const tree::FileTree& tree);

}  // namespace kiln::sources
