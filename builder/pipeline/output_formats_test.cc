#include "builder/pipeline/output_formats.h"

#include <gtest/gtest.h>

namespace kiln::pipeline {
namespace {

recipe::Recipe WithFormats(std::vector<std::string> formats) {
  recipe::Recipe r;
  r.output.formats = std::move(formats);
  return r;
}

TEST(OutputFormats, RawOrAnyVmFormatMakesADisk) {
  EXPECT_TRUE(WantsDisk(WithFormats({"raw"})));
  EXPECT_TRUE(WantsDisk(WithFormats({"squashfs", "qcow2"})));
  EXPECT_FALSE(WantsDisk(WithFormats({"squashfs", "oci", "oci-archive"})));
  EXPECT_TRUE(WantsFormat(WithFormats({"oci"}), "oci"));
  EXPECT_FALSE(WantsFormat(WithFormats({"oci-archive"}), "oci"));
}

}  // namespace
}  // namespace kiln::pipeline
