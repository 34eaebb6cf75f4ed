// `kiln diff A B`: what changed between two releases, as a reviewer reads it before promoting
// one: packages added, removed and upgraded; files added, removed and changed (which fields,
// with sizes); partition table changes; container config changes. A and B are each a disk
// image (raw, GPT), a split root squashfs or an OCI image (layout directory or .oci.tar);
// different kinds compare their root trees. Identity values that follow from the content
// (partition UUIDs derived from the root hash, the disk GUID, OCI manifest digests) are
// reported apart as notes rather than as changes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/diff/root_listing.h"

namespace kiln::diff {

struct FieldChange {
  std::string field;  // files: "type", "content", "mode", "owner", "target", "device";
                      // partitions: "type", "size", "offset", "label", "attributes"
  std::string old_value;
  std::string new_value;
  bool operator==(const FieldChange&) const = default;
};

enum class ChangeKind { kAdded, kRemoved, kChanged };
const char* ChangeKindName(ChangeKind kind);  // "added", "removed", "changed"

struct FileChange {
  std::string path;  // "/etc/x"
  ChangeKind kind = ChangeKind::kChanged;
  std::optional<FileState> old_state;  // absent when added
  std::optional<FileState> new_state;  // absent when removed
  std::vector<FieldChange> fields;     // kChanged only
  bool operator==(const FileChange&) const = default;
};

struct PackageChange {
  std::string name;
  std::string architecture;
  std::string old_version;  // "" when added
  std::string new_version;  // "" when removed
  bool operator==(const PackageChange&) const = default;
};

struct PartitionChange {
  std::string name;  // type name ("root-x86-64") or label; "#N" for unknown types
  ChangeKind kind = ChangeKind::kChanged;
  std::vector<FieldChange> fields;
  bool operator==(const PartitionChange&) const = default;
};

struct ImageDiff {
  std::string a, b;            // paths as given
  std::string kind_a, kind_b;  // "disk", "squashfs", "oci" or "oci-archive"
  std::vector<PackageChange> packages_added, packages_removed, packages_upgraded;
  std::vector<FileChange> files;            // sorted by path
  std::vector<PartitionChange> partitions;  // disk images only
  // OCI images only: FlattenImageConfig fields ("entrypoint", "env.PATH", "label.K", ...)
  // whose compact JSON values differ; "" stands for an absent field.
  std::vector<FieldChange> config;
  std::vector<std::string> identity;        // UUID/GUID changes that follow from the content
  bool empty() const {
    return packages_added.empty() && packages_removed.empty() && packages_upgraded.empty() && files.empty() &&
           partitions.empty() && config.empty();
  }
};

// Compares two images (each a raw GPT disk image, a squashfs file, an OCI layout directory
// or an oci-archive tar); scratch space under work_dir (empty: $TMPDIR). kInput when a path
// is none of these, or has no root partition.
Result<ImageDiff> DiffImages(const std::filesystem::path& a, const std::filesystem::path& b,
                             const std::filesystem::path& work_dir);

// The parts, exposed for tests.
std::vector<FileChange> DiffFiles(const RootListing& a, const RootListing& b);
void DiffPackages(const RootListing& a, const RootListing& b, ImageDiff* out);
std::vector<FieldChange> DiffConfig(const std::map<std::string, std::string>& a,
                                    const std::map<std::string, std::string>& b);

}  // namespace kiln::diff
