// The contents of a root tree as `kiln diff` compares them: every entry's type, mode,
// owner, size, link target and content digest, and the packages in its dpkg database.
// squashfs_listing.h reads one from a squashfs, oci_listing.h from an OCI image.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/sources/dpkg_status.h"

namespace kiln::diff {

struct FileState {
  char type = '-';          // ls letter: '-' file, 'd' directory, 'l' symlink, 'c', 'b', 'p', 's'
  std::uint32_t mode = 0;   // permission bits (07777)
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint64_t size = 0;   // regular files and symlinks; 0 for the rest
  std::string sha256;       // regular files only
  std::string target;       // symlinks only
  std::string device;       // "MAJOR,MINOR" for 'c' and 'b'
  bool operator==(const FileState&) const = default;
};

struct RootListing {
  std::map<std::string, FileState> files;  // normalised path ("etc/x"); the root is ""
  std::vector<sources::Package> packages;  // from var/lib/dpkg/status; empty without one
  bool operator==(const RootListing&) const = default;
};

}  // namespace kiln::diff
