// `kiln inspect`: what a disk image holds, read from its own bytes (GPT, file-system
// superblocks, the verity signature partition): partitions with type names, UUIDs, labels,
// offsets, sizes and flags, the root hash, the signer, the data partition's mountpoint, and
// on A/B disks the slots and the versions they hold (the root hash is then slot A's).
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

// One slot of an A/B disk ([update], docs/updates.md), from its labels and signature.
struct SlotInfo {
  std::string name;       // "A", "B"
  std::string state;      // "empty", "version" (labels name one version), "unknown"
  std::string image;      // state "version": the image name and version its labels carry
  std::string version;
  std::string root_hash;  // from the slot's signature partition, when it holds one
  std::vector<int> partitions;  // root, verity, signature (1-based)
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
  std::vector<SlotInfo> slots;  // empty unless the disk has two root/verity/signature triples
};

Result<InspectResult> InspectImage(const std::filesystem::path& image, const std::filesystem::path& work_dir,
                                   bool allow_external_files = false);
std::string InspectToJson(const InspectResult& r);
std::string InspectToText(const InspectResult& r);

}  // namespace kiln::verify
