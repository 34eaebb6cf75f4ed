// Whether a flash target may be overwritten: a block device none of whose partitions is
// mounted and that nothing holds (device-mapper, md, an exclusive opener), or a regular file
// that is not itself mounted (bind-mounted) and backs no loop device.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "builder/common/result.h"

namespace kiln::flash {

// One /proc/self/mountinfo line's device ("MAJ:MIN") and mount point (unescaped).
struct MountEntry {
  unsigned major = 0, minor = 0;
  std::string mount_point;
  std::string source;
};
std::vector<MountEntry> ParseMountinfo(std::string_view text);

// The whole disk a block device belongs to ("MAJ:MIN" of itself when not a partition), from sysfs.
std::string WholeDiskOf(unsigned major, unsigned minor);

// Fails (kUsage, naming the mount point or holder) when target is mounted or in use.
Status CheckTargetFree(const std::filesystem::path& target);

// The same check against explicit state, for tests: mountinfo text and, for a block device,
// its device number.
Status CheckTargetFreeIn(const std::filesystem::path& target, bool is_block, dev_t rdev, std::string_view mountinfo);

}  // namespace kiln::flash
