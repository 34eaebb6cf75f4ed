// The files a bootable image takes from its own root: the newest kernel and its initrd from
// /boot, the systemd-boot loader and the UKI stub from systemd-boot-efi, and os-release.
// kiln never brings a kernel of its own: what boots is what the image's packages installed.
// The UKI builder and the ESP writer read these.
#pragma once

#include <string>

#include "builder/common/architecture.h"
#include "builder/common/result.h"
#include "builder/tree/file_tree.h"

namespace kiln::bootloader {

struct BootFiles {
  std::string kernel_version;  // "6.1.0-56-amd64"
  std::string kernel;          // normalised tree paths of regular files
  std::string initrd;
  std::string stub;            // usr/lib/systemd/boot/efi/linuxx64.efi.stub
  std::string loader;          // usr/lib/systemd/boot/efi/systemd-bootx64.efi
  std::string os_release;      // usr/lib/os-release or etc/os-release
};

// EFI file names by architecture: "x64" for x86-64, "aa64" for arm64.
std::string EfiArchSuffix(Architecture arch);

// Compares Debian-style kernel versions ("6.1.0-9-amd64" < "6.1.0-10-amd64"): digit runs
// numerically, everything else bytewise.
bool KernelVersionLess(const std::string& a, const std::string& b);

// Finds the boot files, following symlinks inside the image. Errors say which package to add.
Result<BootFiles> FindBootFiles(const tree::FileTree& tree, Architecture arch);

}  // namespace kiln::bootloader
