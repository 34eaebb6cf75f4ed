#include "builder/disk/partition_types.h"

#include <set>

#include <gtest/gtest.h>

namespace kiln::disk {
namespace {

TEST(PartitionTypes, ContentNamesAsTheManifestRecordsThem) {
  for (Architecture arch : {Architecture::kX86_64, Architecture::kArm64}) {
    EXPECT_EQ(PartitionContentName(PartitionTypeUuid(PartitionRole::kRoot, arch)), "squashfs");
    EXPECT_EQ(PartitionContentName(PartitionTypeUuid(PartitionRole::kRootVerity, arch)), "verity");
    EXPECT_EQ(PartitionContentName(PartitionTypeUuid(PartitionRole::kRootVeritySig, arch)), "verity-sig");
  }
  EXPECT_EQ(PartitionContentName(PartitionTypeUuid(PartitionRole::kEsp, Architecture::kX86_64)), "vfat");
  EXPECT_EQ(PartitionContentName(PartitionTypeUuid(PartitionRole::kLinuxGeneric, Architecture::kX86_64)), "ext4");
  EXPECT_EQ(PartitionContentName(*Uuid::Parse("01234567-89ab-4def-8123-456789abcdef")), "ext4");
}

TEST(PartitionTypes, SpecUuidsForBothArchitectures) {
  EXPECT_EQ(PartitionTypeUuid(PartitionRole::kRoot, Architecture::kX86_64).ToString(),
            "4f68bce3-e8cd-4db1-96e7-fbcaf984b709");
  EXPECT_EQ(PartitionTypeUuid(PartitionRole::kRootVerity, Architecture::kX86_64).ToString(),
            "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5");
  EXPECT_EQ(PartitionTypeUuid(PartitionRole::kRootVeritySig, Architecture::kX86_64).ToString(),
            "41092b05-9fc8-4523-994f-2def0408b176");
  EXPECT_EQ(PartitionTypeUuid(PartitionRole::kRoot, Architecture::kArm64).ToString(),
            "b921b045-1df0-41c3-af44-4c6f280d3fae");
  EXPECT_EQ(PartitionTypeUuid(PartitionRole::kUsrVeritySig, Architecture::kArm64).ToString(),
            "c23ce4ff-44bd-4b00-b2d4-b41b3419e02a");
  // Architecture-independent roles ignore the architecture.
  EXPECT_EQ(PartitionTypeUuid(PartitionRole::kEsp, Architecture::kArm64),
            PartitionTypeUuid(PartitionRole::kEsp, Architecture::kX86_64));
  EXPECT_EQ(PartitionTypeUuid(PartitionRole::kEsp, Architecture::kX86_64).ToString(),
            "c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
  EXPECT_EQ(PartitionTypeUuid(PartitionRole::kLinuxGeneric, Architecture::kX86_64).ToString(),
            "0fc63daf-8483-4772-8e79-3d69d8477de4");
}

TEST(PartitionTypes, NamesBothWays) {
  EXPECT_EQ(PartitionTypeName(PartitionTypeUuid(PartitionRole::kRootVeritySig, Architecture::kX86_64)),
            "root-x86-64-verity-sig");
  EXPECT_EQ(PartitionTypeName(PartitionTypeUuid(PartitionRole::kRootVerity, Architecture::kArm64)),
            "root-arm64-verity");
  auto esp = FindPartitionType("esp");
  ASSERT_TRUE(esp);
  EXPECT_EQ(esp->role, PartitionRole::kEsp);
  EXPECT_FALSE(esp->arch);
  auto root = FindPartitionType("root-arm64");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->arch, Architecture::kArm64);
  EXPECT_FALSE(FindPartitionType("root-sparc"));
  Uuid unknown = Uuid::Parse("01234567-89ab-cdef-0123-456789abcdef").value();
  EXPECT_FALSE(FindPartitionType(unknown));
  EXPECT_EQ(PartitionTypeName(unknown), "01234567-89ab-cdef-0123-456789abcdef");
}

TEST(PartitionTypes, TableIsConsistent) {
  std::set<Uuid> uuids;
  std::set<std::string> names;
  for (const PartitionType& t : AllPartitionTypes()) {
    EXPECT_TRUE(uuids.insert(t.uuid).second) << t.name;
    EXPECT_TRUE(names.insert(t.name).second) << t.name;
    EXPECT_EQ(*FindPartitionType(t.uuid), t);
    EXPECT_EQ(*FindPartitionType(t.name), t);
  }
  EXPECT_EQ(uuids.size(), 18u);
}

}  // namespace
}  // namespace kiln::disk
