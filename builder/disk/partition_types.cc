#include "builder/disk/partition_types.h"

#include <cstdlib>
#include <vector>

namespace kiln::disk {
namespace {

struct Row {
  PartitionRole role;
  std::optional<Architecture> arch;
  const char* uuid;
  const char* name;
};

// The Discoverable Partitions Specification's table (see shared/reference/formats.md).
constexpr Row kRows[] = {
    {PartitionRole::kRoot, Architecture::kX86_64, "4f68bce3-e8cd-4db1-96e7-fbcaf984b709", "root-x86-64"},
    {PartitionRole::kRootVerity, Architecture::kX86_64, "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5", "root-x86-64-verity"},
    {PartitionRole::kRootVeritySig, Architecture::kX86_64, "41092b05-9fc8-4523-994f-2def0408b176", "root-x86-64-verity-sig"},
    {PartitionRole::kUsr, Architecture::kX86_64, "8484680c-9521-48c6-9c11-b0720656f69e", "usr-x86-64"},
    {PartitionRole::kUsrVerity, Architecture::kX86_64, "77ff5f63-e7b6-4633-acf4-1565b864c0e6", "usr-x86-64-verity"},
    {PartitionRole::kUsrVeritySig, Architecture::kX86_64, "e7bb33fb-06cf-4e81-8273-e543b413e2e2", "usr-x86-64-verity-sig"},
    {PartitionRole::kRoot, Architecture::kArm64, "b921b045-1df0-41c3-af44-4c6f280d3fae", "root-arm64"},
    {PartitionRole::kRootVerity, Architecture::kArm64, "df3300ce-d69f-4c92-978c-9bfb0f38d820", "root-arm64-verity"},
    {PartitionRole::kRootVeritySig, Architecture::kArm64, "6db69de6-29f4-4758-a7a5-962190f00ce3", "root-arm64-verity-sig"},
    {PartitionRole::kUsr, Architecture::kArm64, "b0e01050-ee5f-4390-949a-9101b17104e9", "usr-arm64"},
    {PartitionRole::kUsrVerity, Architecture::kArm64, "6e11a4e7-fbca-4ded-b9e9-e1a512bb664e", "usr-arm64-verity"},
    {PartitionRole::kUsrVeritySig, Architecture::kArm64, "c23ce4ff-44bd-4b00-b2d4-b41b3419e02a", "usr-arm64-verity-sig"},
    {PartitionRole::kEsp, std::nullopt, "c12a7328-f81f-11d2-ba4b-00a0c93ec93b", "esp"},
    {PartitionRole::kXbootldr, std::nullopt, "bc13c2ff-59e6-4262-a352-b275fd6f7172", "xbootldr"},
    {PartitionRole::kVar, std::nullopt, "4d21b016-b534-45c2-a9fb-5c16e091fd2d", "var"},
    {PartitionRole::kSrv, std::nullopt, "3b8f8425-20e0-4f3b-907f-1a25a76f98e8", "srv"},
    {PartitionRole::kHome, std::nullopt, "933ac7e1-2eb4-4f13-b844-0e14e2aef915", "home"},
    {PartitionRole::kLinuxGeneric, std::nullopt, "0fc63daf-8483-4772-8e79-3d69d8477de4", "linux-generic"},
};

const std::vector<PartitionType>& Table() {
  static const std::vector<PartitionType> table = [] {
    std::vector<PartitionType> t;
    for (const Row& r : kRows) {
      Result<Uuid> u = Uuid::Parse(r.uuid);
      if (!u.ok()) std::abort();  // broken constant table
      t.push_back(PartitionType{r.role, r.arch, *u, r.name});
    }
    return t;
  }();
  return table;
}

}  // namespace

std::span<const PartitionType> AllPartitionTypes() { return Table(); }

const PartitionType& GetPartitionType(PartitionRole role, Architecture arch) {
  for (const PartitionType& t : Table())
    if (t.role == role && (!t.arch || *t.arch == arch)) return t;
  std::abort();  // every role has an entry for every architecture
}

Uuid PartitionTypeUuid(PartitionRole role, Architecture arch) {
  return GetPartitionType(role, arch).uuid;
}

std::optional<PartitionType> FindPartitionType(const Uuid& type_uuid) {
  for (const PartitionType& t : Table())
    if (t.uuid == type_uuid) return t;
  return std::nullopt;
}

std::optional<PartitionType> FindPartitionType(std::string_view name) {
  for (const PartitionType& t : Table())
    if (t.name == name) return t;
  return std::nullopt;
}

std::string PartitionTypeName(const Uuid& type_uuid) {
  std::optional<PartitionType> t = FindPartitionType(type_uuid);
  return t ? t->name : type_uuid.ToString();
}

std::string PartitionContentName(const Uuid& type_uuid) {
  std::optional<PartitionType> t = FindPartitionType(type_uuid);
  if (!t) return "ext4";
  switch (t->role) {
    case PartitionRole::kRoot: return "squashfs";
    case PartitionRole::kRootVerity: return "verity";
    case PartitionRole::kRootVeritySig: return "verity-sig";
    case PartitionRole::kEsp: return "vfat";
    default: return "ext4";
  }
}

}  // namespace kiln::disk
