// The Google Compute Engine image archive: NAME_VERSION.gce.tar.gz, a gzip-compressed GNU
// tar ("oldgnu", as Google's import guide makes it) holding exactly one file, disk.raw. GCE
// wants disk.raw a whole number of GiB, so the disk grows to the next GiB: the partitions
// keep their bytes, the protective MBR and primary GPT header are rewritten for the new size,
// the old backup GPT becomes zeros and a new backup lands at the new end. Streamed from the
// raw image through tar and gzip: no padded copy is ever written. The tar header (mtime
// SOURCE_DATE_EPOCH, owner 0:0, no user names) and the gzip header (no name, mtime 0) are fixed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "builder/common/result.h"

namespace kiln::vmformats {

inline constexpr std::uint64_t kGiB = 1024ULL * 1024 * 1024;
inline constexpr const char* kGceDiskName = "disk.raw";

// One 512-byte GNU tar header for a regular file (sizes past 8 GiB in base-256).
std::string GnuTarHeader(const std::string& name, std::uint64_t size, std::int64_t mtime);

// Streams the bytes of disk.raw for raw padded to padded_size (>= the raw size, a multiple of
// 512): GPT structures rewritten for the new size, partitions copied, everything else zero.
Status StreamPaddedDisk(const std::filesystem::path& raw, std::uint64_t padded_size,
                        const std::function<Status(std::string_view)>& consume);

// Writes the archive of raw into out.
Status WriteGceArchive(const std::filesystem::path& raw, const std::filesystem::path& out,
                       std::int64_t source_date_epoch, unsigned jobs);

// Checks a gce archive against raw: one entry disk.raw, a whole number of GiB, and exactly the
// bytes StreamPaddedDisk gives (so the partitions equal the raw image's and the GPT is valid
// for the padded size). Streams the archive through gzip; keeps nothing.
Status CheckGceArchive(const std::filesystem::path& archive, const std::filesystem::path& raw);

}  // namespace kiln::vmformats
