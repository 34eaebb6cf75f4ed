// The GUID Partition Table (UEFI spec, chapter 5) written and read by kiln itself: a
// protective MBR at LBA 0, the primary header at LBA 1 with 128 entries of 128 bytes from
// LBA 2, and the backup entries and header at the end of the disk. 512-byte sectors.
// The pipeline writes it after placing the partitions (layout.h); verify and inspect read it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/common/uuid.h"

namespace kiln::disk {

inline constexpr std::uint64_t kSectorSize = 512;
inline constexpr std::uint32_t kGptEntryCount = 128;
inline constexpr std::uint32_t kGptEntrySize = 128;
// Sectors taken by the entry array (16 KiB) and by header + entries at each end.
inline constexpr std::uint64_t kGptEntrySectors = kGptEntryCount * kGptEntrySize / kSectorSize;
inline constexpr std::uint64_t kGptFirstUsableLba = 2 + kGptEntrySectors;  // 34
inline constexpr std::uint64_t kGptBackupSectors = 1 + kGptEntrySectors;   // 33

// GPT attribute bits (UEFI bit 0; the rest are the Discoverable Partitions Specification's).
inline constexpr std::uint64_t kAttrRequired = 1ULL << 0;
inline constexpr std::uint64_t kAttrGrowFileSystem = 1ULL << 59;
inline constexpr std::uint64_t kAttrReadOnly = 1ULL << 60;
inline constexpr std::uint64_t kAttrNoAuto = 1ULL << 63;

// Names of the set attribute bits for `kiln inspect`, low bit first: "required",
// "no-block-io", "legacy-bios-bootable", "grow-file-system", "read-only", "no-auto", or
// "bit-N" for the others.
std::vector<std::string> AttributeNames(std::uint64_t attributes);

struct Partition {
  Uuid type;
  Uuid uuid;
  std::string label;          // UTF-8; stored as UTF-16LE, at most 36 code units
  std::uint64_t offset = 0;   // bytes from the start of the disk, a multiple of 512
  std::uint64_t size = 0;     // bytes, a multiple of 512
  std::uint64_t attributes = 0;

  std::uint64_t first_lba() const { return offset / kSectorSize; }
  std::uint64_t last_lba() const { return (offset + size) / kSectorSize - 1; }  // inclusive
  std::uint64_t end() const { return offset + size; }
  bool operator==(const Partition&) const = default;
};

struct DiskLayout {
  Uuid disk_guid;
  std::uint64_t size_bytes = 0;  // whole disk, a multiple of 512
  std::vector<Partition> partitions;  // written to entry slots 0.. in this order
  bool operator==(const DiskLayout&) const = default;
};

// Checks a layout against what a GPT can hold: sizes in whole sectors, partitions inside
// the usable area and not overlapping, labels fitting 36 UTF-16 units, non-nil types.
Status ValidateLayout(const DiskLayout& layout);

// Writes the protective MBR, both headers and both entry arrays into fd (a file or block
// device opened for writing). Extends a smaller file to layout.size_bytes; never touches
// bytes outside the GPT structures, so partitions may be written before or after.
Status WriteGpt(int fd, const DiskLayout& layout);

// Reads the GPT from fd: checks the signature, the header CRC and the entries CRC. When the
// primary header or entries are damaged it falls back to the backup at the end of the disk
// and says so in *note (when given); fails naming what is wrong when both are bad.
// Empty entry slots are skipped.
Result<DiskLayout> ReadGpt(int fd, std::string* note = nullptr);

// Label text conversion, exposed for tests: UTF-8 <-> UTF-16 code units.
Result<std::u16string> Utf8ToUtf16(const std::string& utf8);
std::string Utf16ToUtf8(const std::u16string& utf16);

}  // namespace kiln::disk
