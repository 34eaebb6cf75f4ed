#include "builder/slots/slot_labels.h"

#include <gtest/gtest.h>

namespace kiln::slots {
namespace {

TEST(SlotLabels, SysupdateNames) {
  EXPECT_EQ(SlotLabel("appliance", "1.0.1", SlotPart::kRoot), "appliance_1.0.1");
  EXPECT_EQ(SlotLabel("appliance", "1.0.1", SlotPart::kVerity), "appliance_1.0.1_verity");
  EXPECT_EQ(SlotLabel("appliance", "1.0.1", SlotPart::kSignature), "appliance_1.0.1_verity_sig");
}

TEST(SlotLabels, ParseRoundTrips) {
  for (SlotPart part : {SlotPart::kRoot, SlotPart::kVerity, SlotPart::kSignature}) {
    for (const char* image : {"appliance", "my_app", "a.b-c", "x"}) {
      std::optional<SlotLabelParts> parts = ParseSlotLabel(SlotLabel(image, "2.0~rc1+b-3", part));
      ASSERT_TRUE(parts) << image;
      EXPECT_EQ(*parts, (SlotLabelParts{image, "2.0~rc1+b-3", part}));
    }
  }
}

TEST(SlotLabels, SuffixWinsOverVersion) {
  // "app_verity" could be image "app" at version "verity"; the suffix reading wins and
  // leaves no version, so it is not a slot label at all.
  EXPECT_FALSE(ParseSlotLabel("app_verity"));
  EXPECT_EQ(*ParseSlotLabel("app_1_verity"), (SlotLabelParts{"app", "1", SlotPart::kVerity}));
}

TEST(SlotLabels, RejectsOtherLabels) {
  for (const char* label : {"", "_empty", "esp", "root-x86-64", "_1", "app_", "app_1_verity_sig_",
                            "app 1", "app_1/x", "app_\xc3\xa9", "data",
                            "a_01234567890123456789012345678901234"})
    EXPECT_FALSE(ParseSlotLabel(label)) << label;
}

TEST(SlotLabels, LongestLabelMustFitGpt) {
  EXPECT_TRUE(CheckSlotLabelsFit("appliance", "1.0.0").ok());
  // 14 + 1 + 10 + 11 = 36: fits exactly.
  EXPECT_TRUE(CheckSlotLabelsFit("abcdefghijklmn", "0123456789").ok());
  Status too_long = CheckSlotLabelsFit("abcdefghijklmno", "0123456789");
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, ErrorCode::kRecipe);
  EXPECT_EQ(too_long.error().message,
            "[update] needs image name and version short enough for the slot labels: "
            "'abcdefghijklmno_0123456789_verity_sig' has 37 characters, a GPT label at most 36");
}

}  // namespace
}  // namespace kiln::slots
