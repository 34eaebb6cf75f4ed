#include "builder/pipeline/output_formats.h"

#include <gtest/gtest.h>

namespace kiln::pipeline {
namespace {

using recipe::OutputFormat;

recipe::Recipe WithFormats(std::vector<OutputFormat> formats) {
  recipe::Recipe r;
  r.output.formats = std::move(formats);
  return r;
}

TEST(OutputFormats, RawOrAnyVmFormatMakesADisk) {
  EXPECT_TRUE(WantsDisk(WithFormats({OutputFormat::kRaw})));
  EXPECT_TRUE(WantsDisk(WithFormats({OutputFormat::kSquashfs, OutputFormat::kQcow2})));
  EXPECT_TRUE(WantsDisk(WithFormats({OutputFormat::kOva})));
  EXPECT_FALSE(WantsDisk(WithFormats({OutputFormat::kSquashfs, OutputFormat::kOci, OutputFormat::kOciArchive})));
  EXPECT_TRUE(WantsFormat(WithFormats({OutputFormat::kOci}), OutputFormat::kOci));
  EXPECT_FALSE(WantsFormat(WithFormats({OutputFormat::kOciArchive}), OutputFormat::kOci));
  EXPECT_TRUE(WantsFormat(WithFormats({OutputFormat::kVhdx}), "vhdx"));
  EXPECT_FALSE(WantsFormat(WithFormats({OutputFormat::kVhdx}), "no-such-format"));
}

}  // namespace
}  // namespace kiln::pipeline
