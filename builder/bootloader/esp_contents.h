// The files of a bootable ESP: systemd-boot (as the removable-media default loader, so a blank
// NVRAM boots it) and one UKI whose command line names the verity root. With Secure Boot
// signing both EFI programs are signed with sbsign. The disk stage formats the ESP with them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "builder/bootloader/boot_files.h"
#include "builder/bootloader/system_config.h"
#include "builder/common/result.h"
#include "builder/disk/vfat.h"
#include "builder/tree/file_tree.h"

namespace kiln::bootloader {

struct SecureBootKey {
  std::filesystem::path key;   // PEM private key file
  std::filesystem::path cert;  // PEM certificate
};

struct EspRequest {
  const tree::FileTree* tree = nullptr;
  BootFiles files;
  Architecture arch = Architecture::kX86_64;
  std::string uki_name;                   // "appliance_1.0.efi"
  std::string cmdline;
  std::optional<SecureBootKey> secure_boot;
  std::filesystem::path work_dir;         // UKI and loader files are written here
  std::int64_t source_date_epoch = 0;
};

// Builds the UKI (and signs it and the loader when asked); returns the ESP's file list.
Result<std::vector<disk::VfatFile>> PrepareEspFiles(const EspRequest& req);

// Signs an EFI program into out with sbsign. sbsign puts the current time into the signature,
// so it runs under faketime at SOURCE_DATE_EPOCH: the same inputs give the same signed bytes.
Status SignEfiProgram(const std::filesystem::path& in, const SecureBootKey& key, const std::filesystem::path& out,
                      std::int64_t source_date_epoch);

}  // namespace kiln::bootloader
