// The EFI system partition: a FAT file system made with mkfs.vfat and filled with mtools,
// both writing straight into the disk image at the partition's offset (no root, no loop
// device). Deterministic: --invariant, a volume id from the build seed, every file and
// directory time set to SOURCE_DATE_EPOCH (in UTC), entries added in sorted order.
// The boot stage (issue 6) calls MakeVfat with the boot loader and the UKI.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/common/uuid.h"

namespace kiln::disk {

struct VfatFile {
  std::filesystem::path source;  // host file
  std::string target;            // absolute path in the ESP, e.g. "/EFI/BOOT/BOOTX64.EFI"
  bool operator==(const VfatFile&) const = default;
};

struct VfatSpec {
  std::filesystem::path image;   // created or extended to offset + size when smaller
  std::uint64_t offset = 0;      // bytes, a multiple of 512
  std::uint64_t size = 0;        // bytes, a multiple of 1024; FAT32 from 260 MiB on
  std::string label = "ESP";     // at most 11 characters
  std::uint32_t volume_id = 0;   // VfatVolumeId(FilesystemUuid(esp partition uuid))
  std::vector<VfatFile> files;   // parent directories are created as needed
  std::int64_t source_date_epoch = 0;
  bool operator==(const VfatSpec&) const = default;
};

// The 32-bit FAT volume id for a file-system UUID: its first four bytes, big-endian.
std::uint32_t VfatVolumeId(const Uuid& filesystem_uuid);

// Formats the ESP and copies the files in. Fails naming the file when a source is missing
// or two files have the same target.
Status MakeVfat(const VfatSpec& spec);

}  // namespace kiln::disk
