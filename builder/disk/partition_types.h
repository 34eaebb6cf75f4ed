// GPT partition type UUIDs from the UAPI Discoverable Partitions Specification, with the
// systemd-repart style names ("root-x86-64-verity", "esp", "linux-generic") that
// `kiln inspect` prints. The layout planner picks types from here; inspect and verify map
// the types they read back to names and roles.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "builder/common/architecture.h"
#include "builder/common/uuid.h"

namespace kiln::disk {

// What a partition is for. Root/usr roles exist once per architecture; the rest are
// architecture independent.
enum class PartitionRole {
  kRoot,
  kRootVerity,
  kRootVeritySig,
  kUsr,
  kUsrVerity,
  kUsrVeritySig,
  kEsp,
  kXbootldr,
  kVar,
  kSrv,
  kHome,
  kLinuxGeneric,  // generic Linux data; kiln's data partition (see layout.h on why not kVar)
};

struct PartitionType {
  PartitionRole role = PartitionRole::kLinuxGeneric;
  std::optional<Architecture> arch;  // set for root/usr roles only
  Uuid uuid;
  std::string name;  // "root-x86-64", "root-arm64-verity-sig", "esp", ...
  bool operator==(const PartitionType&) const = default;
};

// Every type kiln knows, in a fixed order.
std::span<const PartitionType> AllPartitionTypes();

// The type UUID of a role; `arch` is ignored for architecture-independent roles.
Uuid PartitionTypeUuid(PartitionRole role, Architecture arch);
// Same, as the full table entry.
const PartitionType& GetPartitionType(PartitionRole role, Architecture arch);

// Lookups both ways; nullopt for a type or name kiln does not know.
std::optional<PartitionType> FindPartitionType(const Uuid& type_uuid);
std::optional<PartitionType> FindPartitionType(std::string_view name);

// The name of a type UUID for display: the known name, or the UUID text when unknown.
std::string PartitionTypeName(const Uuid& type_uuid);

// What kiln puts in a partition of this type, as the build manifest records it: "squashfs"
// (root), "verity" (its hash tree), "verity-sig" (its signature), "vfat" (ESP), else "ext4".
std::string PartitionContentName(const Uuid& type_uuid);

}  // namespace kiln::disk
