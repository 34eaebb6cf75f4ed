#include "builder/vmformats/vm_formats.h"

#include <fcntl.h>

#include <gtest/gtest.h>

#include "builder/common/files.h"
#include "builder/common/unique_fd.h"
#include "builder/vmformats/file_io.h"

namespace kiln::vmformats {
namespace {

namespace fs = std::filesystem;

TEST(VmFormatsTest, FileNames) {
  EXPECT_EQ(VmFormatFileName("gce", "a_1"), "a_1.gce.tar.gz");
  EXPECT_EQ(VmFormatFileName("vhd", "a_1"), "a_1.vhd");
  EXPECT_EQ(VmFormatOfFile("a_1.gce.tar.gz"), "gce");
  EXPECT_EQ(VmFormatOfFile("a_1.vhdx"), "vhdx");
  EXPECT_EQ(VmFormatOfFile("a_1.bmap"), "bmap");
  EXPECT_EQ(VmFormatOfFile("a_1.raw"), "");
  EXPECT_EQ(VmFormatOfFile("a_1.oci.tar"), "");
}

// The content checks `kiln verify` runs catch a format whose bytes no longer hold the raw image.
TEST(VmFormatsTest, CheckCatchesChangedContent) {
  auto tmp = TempDir::Create();
  ASSERT_TRUE(tmp.ok());
  const fs::path raw = tmp->path() / "a_1.raw";
  std::string data(1 << 20, '\0');
  data[4096] = 'k';
  ASSERT_TRUE(WriteFile(raw, data).ok());
  VmFormatInputs in;
  for (const char* format : {"vhd", "bmap"}) {
    const fs::path out = tmp->path() / VmFormatFileName(format, "a_1");
    ASSERT_TRUE(WriteVmFormat(format, raw, out, in).ok()) << format;
    Status ok = CheckVmFormat(out, raw);
    EXPECT_TRUE(ok.ok()) << format << ": " << ok.error().message;
  }
  data[8192] = 'x';  // the raw image changes: neither format holds it any more
  ASSERT_TRUE(WriteFile(raw, data).ok());
  Status vhd = CheckVmFormat(tmp->path() / "a_1.vhd", raw);
  ASSERT_FALSE(vhd.ok());
  EXPECT_NE(vhd.error().message.find("differs"), std::string::npos) << vhd.error().message;
  EXPECT_FALSE(CheckVmFormat(tmp->path() / "a_1.bmap", raw).ok());
}

}  // namespace
}  // namespace kiln::vmformats
