// `kiln inspect`: what a disk image holds, read from its own bytes (GPT, file-system
// superblocks, the verity signature partition): partitions with type names, UUIDs, labels,
// offsets, sizes and flags, the root hash, the signer, the data partition's mountpoint.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "builder/common/result.h"

namespace kiln::verify {

struct PartitionInfo {
  int number = 0;  // 1-based, as sfdisk numbers them
  std::string type_name;
  std::string type_uuid;
  std::string uuid;
  std::string label;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::vector<std::string> flags;  // "read-only", "grow-file-system", "no-auto", "required"
  std::string filesystem;          // "squashfs", "verity", "verity-sig", "ext4", "vfat", "unknown"
  std::string fs_label;            // ext4/vfat volume label
  std::string fs_uuid;
  std::string mountpoint;          // ext4: the last-mounted directory kiln records
};

struct InspectResult {
  std::string format;  // raw | qcow2 | vmdk
  std::string disk_guid;
  std::uint64_t disk_size = 0;
  std::vector<PartitionInfo> partitions;
  std::string root_hash;
  std::string signer_subject;
  std::string signer_fingerprint;
  std::string data_mountpoint;
};

Result<InspectResult> InspectImage(const std::filesystem::path& image, const std::filesystem::path& work_dir,
                                   bool allow_external_files = false);
std::string InspectToJson(const InspectResult& r);
std::string InspectToText(const InspectResult& r);

}  // namespace kiln::verify
