#include "builder/update_agent/esp_mount.h"

#include <gtest/gtest.h>
#include <sys/sysmacros.h>

namespace kiln::update_agent {
namespace {

TEST(MountedDevice, TheLastMountAtThePointWins) {
  // systemd's ESP automount: autofs first, the vfat mounted on it on first access.
  const std::string mountinfo =
      "22 1 259:2 / / ro,relatime shared:1 - squashfs /dev/dm-0 ro\n"
      "40 22 0:38 / /efi rw,relatime shared:20 - autofs systemd-1 rw,fd=45\n"
      "55 40 259:1 / /efi rw,nosuid shared:30 - vfat /dev/vda1 rw,umask=0077\n"
      "56 22 259:1 / /efix rw - vfat /dev/vda1 rw\n";
  auto dev = MountedDevice(mountinfo, "/efi");
  ASSERT_TRUE(dev);
  EXPECT_EQ(major(*dev), 259u);
  EXPECT_EQ(minor(*dev), 1u);
  EXPECT_FALSE(MountedDevice(mountinfo, "/boot"));
  EXPECT_FALSE(MountedDevice("garbage\n\n1 2\n", "/efi"));
}

}  // namespace
}  // namespace kiln::update_agent
