#include "builder/slots/slot_uuids.h"

#include <gtest/gtest.h>

namespace kiln::slots {
namespace {

Digest CountingDigest() {
  Digest d{};
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<std::uint8_t>(i);
  return d;
}

// Expected values computed with Python's hashlib from the formulas in docs/updates.md.
TEST(SlotUuids, SignaturePartitionUuidKnownAnswer) {
  EXPECT_EQ(SignaturePartitionUuid(CountingDigest()).ToString(), "0c26f58c-d320-442c-816c-f599d80df1c9");
}

TEST(SlotUuids, SignatureUuidFollowsRootHash) {
  Digest other = CountingDigest();
  other[31] ^= 1;
  EXPECT_NE(SignaturePartitionUuid(other), SignaturePartitionUuid(CountingDigest()));
}

TEST(SlotUuids, DataPartitionUuidKnownAnswer) {
  EXPECT_EQ(DataPartitionUuid("appliance", Architecture::kX86_64).ToString(),
            "809efda3-1647-4e1e-86ea-d7c7a1f0494f");
  EXPECT_EQ(DataPartitionUuid("appliance", Architecture::kArm64).ToString(),
            "73f7bb7c-ab3d-4d7f-84ff-27fc90a818d8");
  EXPECT_NE(DataPartitionUuid("appliance2", Architecture::kX86_64),
            DataPartitionUuid("appliance", Architecture::kX86_64));
}

TEST(SlotUuids, EspPartitionUuidKnownAnswer) {
  EXPECT_EQ(EspPartitionUuid("appliance", Architecture::kX86_64).ToString(), "f891ef40-680a-42d4-80e5-2b655a166aaa");
  EXPECT_NE(EspPartitionUuid("appliance", Architecture::kX86_64),
            DataPartitionUuid("appliance", Architecture::kX86_64));
}

}  // namespace
}  // namespace kiln::slots
