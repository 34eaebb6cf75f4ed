// What a bootable image needs in its root besides packages, written by kiln because only kiln
// knows the disk it builds: the kernel command line that names the dm-verity root, and the
// files that mount the data partition (by PARTUUID, fixed at build time from the seed), keep
// /tmp on tmpfs and grow the data partition and its file system to fill the disk on boot.
// The root itself is never written at run time; machine-specific state (machine-id) is left
// empty here and supplied by systemd at boot (see docs/boot.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/common/uuid.h"
#include "builder/tree/file_tree.h"

namespace kiln::bootloader {

struct VerityRoot {
  std::string root_hash_hex;
  Uuid data_partuuid;   // the root partition
  Uuid hash_partuuid;   // its verity partition
};

// The command line kiln puts in the UKI: verity root first, then the recipe's own arguments.
std::string KernelCmdline(const VerityRoot& root, const std::vector<std::string>& extra);

// systemd-escape --path: "/srv/app data" -> "srv-app\x20data"; "/" -> "-".
std::string EscapeUnitPath(const std::string& path);

// The data partition as the booted system mounts it (the recipe's [data]).
struct DataMount {
  std::string mountpoint = "/var";
  std::string filesystem = "ext4";
  std::string label = "data";
  Uuid partuuid;  // fixed at build time from the seed
};

// What the booted system's configuration is made from.
struct BootSystemConfig {
  std::vector<std::string> kernel_cmdline;  // [boot].kernel_cmdline
  std::optional<DataMount> data;            // none: the image has no data partition
};

// Adds /etc/fstab, the grow-data unit and its repart definition, and an empty /etc/machine-id.
Status ApplyBootSystemConfig(tree::FileTree& tree, const BootSystemConfig& config);

}  // namespace kiln::bootloader
