// Fixed VHD (Microsoft "Virtual Hard Disk Image Format Specification"), the only kind Azure
// accepts: the disk's bytes, zero padded to a whole number of MiB (Azure's rule), followed
// by one 512-byte footer (cookie "conectix", big-endian fields, one's complement checksum).
// The footer's time stamp comes from SOURCE_DATE_EPOCH and its unique id from the build seed.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>

#include "builder/common/result.h"
#include "builder/common/uuid.h"

namespace kiln::vmformats {

inline constexpr std::uint64_t kVhdFooterSize = 512;
inline constexpr std::uint64_t kMiB = 1024 * 1024;

// The virtual size of a VHD holding raw_size bytes: raw_size rounded up to a whole MiB.
std::uint64_t VhdVirtualSize(std::uint64_t raw_size);

// The 512-byte footer of a fixed VHD of virtual_size bytes.
std::string MakeVhdFooter(std::uint64_t virtual_size, std::int64_t source_date_epoch, const Uuid& unique_id);

struct VhdFooter {
  std::uint64_t current_size = 0;
  std::uint32_t disk_type = 0;   // 2: fixed
  std::uint32_t timestamp = 0;   // seconds since 2000-01-01 00:00:00 UTC
};
// Parses and checks a footer (cookie, checksum, fixed disk type).
Result<VhdFooter> ParseVhdFooter(const std::string& footer);

// Writes the fixed VHD of raw into out.
Status WriteVhd(const std::filesystem::path& raw, const std::filesystem::path& out,
                std::int64_t source_date_epoch, const std::array<std::uint8_t, 16>& seed);

}  // namespace kiln::vmformats
