#include "builder/slots/slot_table.h"

#include <gtest/gtest.h>

#include "builder/disk/partition_types.h"
#include "builder/slots/slot_labels.h"
#include "builder/slots/slot_uuids.h"

namespace kiln::slots {
namespace {

using disk::PartitionRole;

disk::Partition Part(PartitionRole role, std::string label, std::uint64_t size,
                     Architecture arch = Architecture::kX86_64) {
  disk::Partition p;
  p.type = disk::PartitionTypeUuid(role, arch);
  p.label = std::move(label);
  p.size = size;
  return p;
}

// The order the build writes: esp, slot A, slot B, data.
disk::DiskLayout AbLayout() {
  disk::DiskLayout layout;
  layout.partitions = {Part(PartitionRole::kEsp, "esp", 1 << 20),
                       Part(PartitionRole::kRoot, "app_1", 8 << 20),
                       Part(PartitionRole::kRootVerity, "app_1_verity", 1 << 20),
                       Part(PartitionRole::kRootVeritySig, "app_1_verity_sig", 16384),
                       Part(PartitionRole::kRoot, "_empty", 8 << 20),
                       Part(PartitionRole::kRootVerity, "_empty", 1 << 20),
                       Part(PartitionRole::kRootVeritySig, "_empty", 16384),
                       Part(PartitionRole::kLinuxGeneric, "data", 4 << 20)};
  return layout;
}

Digest RootHash(std::uint8_t fill) {
  Digest d{};
  d.fill(fill);
  d[31] = 0x42;
  return d;
}

TEST(SlotTable, FindsBothSlotsByTypeAndOrder) {
  Result<SlotTable> table = FindSlots(AbLayout(), Architecture::kX86_64);
  ASSERT_TRUE(table.ok()) << table.error().ToString();
  EXPECT_EQ(table->a, (SlotPartitions{1, 2, 3}));
  EXPECT_EQ(table->b, (SlotPartitions{4, 5, 6}));
  EXPECT_EQ((*table)[SlotName::kB], table->b);
}

TEST(SlotTable, OrderIsPerTypeNotPerPosition) {
  // Interleaved partitions still pair the first of each type as A.
  disk::DiskLayout layout = AbLayout();
  std::swap(layout.partitions[3], layout.partitions[4]);
  Result<SlotTable> table = FindSlots(layout, Architecture::kX86_64);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->a, (SlotPartitions{1, 2, 4}));
  EXPECT_EQ(table->b, (SlotPartitions{3, 5, 6}));
}

TEST(SlotTable, OtherArchitectureHasNoSlots) {
  Result<SlotTable> table = FindSlots(AbLayout(), Architecture::kArm64);
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.error().code, ErrorCode::kInput);
  EXPECT_EQ(table.error().message, "not an A/B disk: it has 0 root-arm64 partitions, an A/B disk has 2");
}

TEST(SlotTable, RejectsSingleSlotAndUnequalSizes) {
  disk::DiskLayout one = AbLayout();
  one.partitions.erase(one.partitions.begin() + 4, one.partitions.begin() + 7);
  EXPECT_EQ(FindSlots(one, Architecture::kX86_64).error().message,
            "not an A/B disk: it has 1 root-x86-64 partitions, an A/B disk has 2");
  disk::DiskLayout unequal = AbLayout();
  unequal.partitions[5].size = 2 << 20;
  EXPECT_EQ(FindSlots(unequal, Architecture::kX86_64).error().message,
            "not an A/B disk: its root-x86-64-verity partitions differ in size (1048576 and 2097152 bytes)");
}

TEST(SlotTable, DescribesSlotsFromLabels) {
  disk::DiskLayout layout = AbLayout();
  SlotTable table = *FindSlots(layout, Architecture::kX86_64);
  SlotContent a = DescribeSlot(layout, table.a, "app");
  EXPECT_FALSE(a.empty);
  EXPECT_EQ(a.version, "1");
  SlotContent b = DescribeSlot(layout, table.b, "app");
  EXPECT_TRUE(b.empty);
  EXPECT_EQ(b.version, "");
  // Another image's slot, or labels of two versions (a half-relabelled slot): neither.
  SlotContent other = DescribeSlot(layout, table.a, "other");
  EXPECT_FALSE(other.empty);
  EXPECT_EQ(other.version, "");
  layout.partitions[3].label = "app_2_verity_sig";
  SlotContent mixed = DescribeSlot(layout, table.a, "app");
  EXPECT_FALSE(mixed.empty);
  EXPECT_EQ(mixed.version, "");
  layout.partitions[5].label = "app_1_verity";
  EXPECT_FALSE(DescribeSlot(layout, table.b, "app").empty);
}

TEST(SlotTable, SetVersionGivesRootHashUuidsAndFindsIt) {
  disk::DiskLayout layout = AbLayout();
  SlotTable table = *FindSlots(layout, Architecture::kX86_64);
  const Digest v1 = RootHash(0x11), v2 = RootHash(0x22);
  SetSlotVersion(layout, table.a, "app", "1", v1);
  SetSlotVersion(layout, table.b, "app", "2", v2);
  EXPECT_EQ(layout.partitions[4].label, "app_2");
  EXPECT_EQ(layout.partitions[5].label, "app_2_verity");
  EXPECT_EQ(layout.partitions[6].label, "app_2_verity_sig");
  EXPECT_EQ(layout.partitions[4].uuid, UuidFromFirstHalf(v2));
  EXPECT_EQ(layout.partitions[5].uuid, UuidFromSecondHalf(v2));
  EXPECT_EQ(layout.partitions[6].uuid, SignaturePartitionUuid(v2));
  EXPECT_EQ(DescribeSlot(layout, table.b, "app").version, "2");
  EXPECT_EQ(FindSlotOfRootHash(layout, table, v1), SlotName::kA);
  EXPECT_EQ(FindSlotOfRootHash(layout, table, v2), SlotName::kB);
  EXPECT_EQ(FindSlotOfRootHash(layout, table, RootHash(0x33)), std::nullopt);

  EXPECT_EQ(layout.partitions[4].attributes & disk::kAttrNoAuto, 0u);
  SetSlotEmpty(layout, table.b);
  EXPECT_TRUE(DescribeSlot(layout, table.b, "app").empty);
  for (std::size_t i = 4; i < 7; ++i) EXPECT_EQ(layout.partitions[i].attributes & disk::kAttrNoAuto, disk::kAttrNoAuto);
  EXPECT_EQ(layout.partitions[1].attributes & disk::kAttrNoAuto, 0u);
  SetSlotVersion(layout, table.b, "app", "3", v2);
  EXPECT_EQ(layout.partitions[4].attributes & disk::kAttrNoAuto, 0u);
  EXPECT_EQ(layout.partitions[4].uuid, UuidFromFirstHalf(v2));  // UUIDs untouched
  EXPECT_STREQ(SlotNameText(SlotName::kB), "B");
}

}  // namespace
}  // namespace kiln::slots
