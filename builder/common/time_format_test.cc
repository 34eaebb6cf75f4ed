#include "builder/common/time_format.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

TEST(FormatRfc3339, UtcSeconds) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(1700000000), "2023-11-14T22:13:20Z");
  EXPECT_EQ(FormatRfc3339(1704067200), "2024-01-01T00:00:00Z");
}

TEST(FormatUtcDateTime, SpaceSeparatedWithoutZone) {
  EXPECT_EQ(FormatUtcDateTime(0), "1970-01-01 00:00:00");
  EXPECT_EQ(FormatUtcDateTime(1700000000), "2023-11-14 22:13:20");
}

}  // namespace
}  // namespace kiln
