#include "builder/slots/slot_sizes.h"

#include <gtest/gtest.h>

namespace kiln::slots {
namespace {

// Expected sizes are those of the hash file `veritysetup format DATA HASH` writes for a
// DATA file of that size (cryptsetup 2.6).
TEST(SlotSizes, VerityPartitionSizeMatchesVeritysetup) {
  EXPECT_EQ(*VerityPartitionSize(4096), 4096u);
  EXPECT_EQ(*VerityPartitionSize(8192), 8192u);
  EXPECT_EQ(*VerityPartitionSize(64ull << 20), 532480u);
  EXPECT_EQ(*VerityPartitionSize(512ull << 20), 4235264u);
}

TEST(SlotSizes, RejectsPartialBlocks) {
  EXPECT_EQ(VerityPartitionSize(0).error().code, ErrorCode::kBuild);
  Result<std::uint64_t> odd = VerityPartitionSize(4097);
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().message, "slot size 4097 bytes is not a positive multiple of 4096");
}

}  // namespace
}  // namespace kiln::slots
