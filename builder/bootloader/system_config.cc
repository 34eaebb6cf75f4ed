#include "builder/bootloader/system_config.h"

#include <cstdio>

#include "builder/bootloader/tree_files.h"
#include "builder/common/system_text.h"

namespace kiln::bootloader {

namespace {

// Runs systemd-repart on the disk that holds the data partition: the root is a dm-verity
// device over two partitions, so repart's own "disk behind /" lookup cannot find it.
constexpr const char* kGrowScript = R"(#!/bin/sh
# Written by kiln: grows the data partition (the last one) to the end of the disk.
set -eu
part=$(readlink -f "/dev/disk/by-partuuid/$1")
disk=$(readlink -f "/sys/class/block/${part##*/}/..")
exec systemd-repart --dry-run=no --definitions=/usr/lib/kiln/repart.d "/dev/${disk##*/}"
)";

}  // namespace

std::string KernelCmdline(const VerityRoot& root, const std::vector<std::string>& extra) {
  std::string line = "root=/dev/mapper/root ro rootfstype=squashfs roothash=" + root.root_hash_hex +
                     " systemd.verity_root_data=/dev/disk/by-partuuid/" + root.data_partuuid.ToString() +
                     " systemd.verity_root_hash=/dev/disk/by-partuuid/" + root.hash_partuuid.ToString() +
                     // machine-id is empty in the image; never prompt for first-boot settings
                     " systemd.firstboot=off";
  for (const std::string& arg : extra) line += " " + arg;
  return line;
}

std::string EscapeUnitPath(const std::string& path) {
  std::string p = path;
  while (!p.empty() && p.front() == '/') p.erase(0, 1);
  while (!p.empty() && p.back() == '/') p.pop_back();
  if (p.empty()) return "-";
  std::string out;
  for (std::size_t i = 0; i < p.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(p[i]);
    if (c == '/') {
      out += '-';
    } else if ((std::isalnum(c) && c < 0x80) || c == ':' || c == '_' || (c == '.' && i > 0)) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

Status ApplyBootSystemConfig(tree::FileTree& tree, const BootSystemConfig& config) {
  // The recipe loader rejects these already; a config made in code must not inject lines.
  auto check = [](SystemField field, const std::string& text, const std::string& what) -> Status {
    if (std::string why = SystemFieldProblem(field, text); !why.empty())
      return MakeError(ErrorCode::kRecipe, what + ": " + why);
    return OkStatus();
  };
  for (const std::string& arg : config.kernel_cmdline)
    KILN_TRY(check(SystemField::kKernelArgument, arg, "[boot].kernel_cmdline"));
  if (config.data) {
    KILN_TRY(check(SystemField::kFstabPath, config.data->mountpoint, "[data].mountpoint"));
    KILN_TRY(check(SystemField::kLabel, config.data->label, "[data].label"));
  }
  std::string fstab =
      "# Written by kiln. The root file system is a read-only dm-verity squashfs named on the\n"
      "# kernel command line; it has no line here.\n";
  if (config.data) {
    const DataMount& d = *config.data;
    const std::string uuid = d.partuuid.ToString();
    fstab += "PARTUUID=" + uuid + " " + d.mountpoint + " " + d.filesystem +
             " defaults,x-systemd.growfs 0 2\n";
    const std::string mount_unit = EscapeUnitPath(d.mountpoint) + ".mount";
    KILN_TRY(PutFile(tree, "usr/lib/kiln/grow-data", kGrowScript, 0755));
    KILN_TRY(PutFile(tree, "usr/lib/kiln/repart.d/50-data.conf",
                     "# Written by kiln: the data partition grows to fill the disk.\n"
                     "[Partition]\nType=linux-generic\n",
                     0644));
    KILN_TRY(PutFile(tree, "usr/lib/systemd/system/kiln-grow-data.service",
                     "# Written by kiln.\n"
                     "[Unit]\n"
                     "Description=Grow the data partition to the end of the disk\n"
                     "DefaultDependencies=no\n"
                     "BindsTo=dev-disk-by\\x2dpartuuid-" + EscapeUnitPath(uuid) + ".device\n"
                     "After=dev-disk-by\\x2dpartuuid-" + EscapeUnitPath(uuid) + ".device\n"
                     "Before=" + mount_unit + " systemd-growfs@" + EscapeUnitPath(d.mountpoint) + ".service shutdown.target\n"
                     "Conflicts=shutdown.target\n\n"
                     "[Service]\n"
                     "Type=oneshot\n"
                     "RemainAfterExit=yes\n"
                     "ExecStart=/usr/lib/kiln/grow-data " + uuid + "\n",
                     0644));
    KILN_TRY(PutSymlink(tree, "usr/lib/systemd/system/" + mount_unit + ".wants/kiln-grow-data.service",
                        "../kiln-grow-data.service"));
  }
  fstab += "tmpfs /tmp tmpfs mode=1777,strictatime,nosuid,nodev,size=50%,nr_inodes=1m 0 0\n";
  KILN_TRY(PutFile(tree, "etc/fstab", std::move(fstab), 0644));
  // An empty machine-id: systemd mounts a generated one over it at boot (the root is read-only).
  const tree::FileNode* mid = tree.Find(tree.Resolve("etc/machine-id"));
  if (!mid || mid->type != tree::NodeType::kFile || mid->content.size != 0)
    KILN_TRY(PutFile(tree, "etc/machine-id", "", 0444));
  return OkStatus();
}

}  // namespace kiln::bootloader
