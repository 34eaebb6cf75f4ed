// The contents of a squashfs root as `kiln diff` compares them: every entry's type, mode,
// owner, size, link target and content digest, and the packages in its dpkg database.
// Read without root privileges through unsquashfs: `-lln` gives owners, modes and device
// numbers (an unprivileged extraction cannot set them), and an extraction into a scratch
// directory gives the bytes to hash and the exact link targets.
#pragma once

#include <cstdint>
#include <filesystem>
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

// Reads the squashfs file system that starts `offset` bytes into `image` (0 for a split
// .root.squashfs, the root partition's offset for a disk image). Scratch files go to a
// temporary directory under work_dir (empty: $TMPDIR) that is removed before returning.
Result<RootListing> ReadSquashfsRoot(const std::filesystem::path& image, std::uint64_t offset,
                                     const std::filesystem::path& work_dir);

// Parses `unsquashfs -lln` output (exposed for tests). Link targets are left empty; names
// of symlinks keep the " -> target" suffix split off at its first occurrence.
Result<std::map<std::string, FileState>> ParseUnsquashfsListing(std::string_view text);

}  // namespace kiln::diff
