#include "builder/vm/boot_phase.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kiln::vm {
namespace {

std::vector<std::string> Phases(const std::vector<std::string>& console) {
  BootPhaseTracker t;
  std::vector<std::string> got;
  for (const auto& l : console)
    if (auto p = t.Feed(l)) got.push_back(BootPhaseName(*p));
  return got;
}

TEST(BootPhase, FollowsADracutBootOnce) {
  // Lines from a Debian 12 UKI booting under OVMF.
  EXPECT_EQ(Phases({"",
                    "BdsDxe: loading Boot0001 \"UEFI QEMU HARDDISK QM00001 \" from PciRoot(0x0)",
                    "BdsDxe: starting Boot0001",
                    "EFI stub: Loaded initrd from LINUX_EFI_INITRD_MEDIA_GUID device path",
                    "[    0.000000] Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)",
                    "[    1.234567] Run /init as init process",
                    "Welcome to Debian GNU/Linux 12 (bookworm) dracut-059-4 (Initrd)!",
                    "[  OK  ] Reached target initrd.target - Initrd Default Target.",
                    "         Switching root.",
                    "Welcome to Debian GNU/Linux 12 (bookworm)!",
                    "[  OK  ] Reached target multi-user.target - Multi-User System."}),
            (std::vector<std::string>{"firmware", "kernel", "initrd", "userspace"}));
}

TEST(BootPhase, SkipsSilentPhasesAndNeverGoesBack) {
  EXPECT_EQ(Phases({"Run /sbin/init as init process", "BdsDxe: loading Boot0001", "Linux version 6.1"}),
            (std::vector<std::string>{"userspace"}));
  EXPECT_EQ(Phases({"Linux version 6.1", "Welcome to Debian GNU/Linux 12 (bookworm)!"}),
            (std::vector<std::string>{"kernel", "userspace"}));
}

}  // namespace
}  // namespace kiln::vm
