#include "builder/vmformats/ova.h"

#include <gtest/gtest.h>

#include "builder/vmformats/ovf_descriptor.h"

namespace kiln::vmformats {
namespace {

TEST(OvaTest, ManifestLines) {
  EXPECT_EQ(MakeOvfManifest({{"a.ovf", "00ff"}, {"a-disk1.vmdk", "abcd"}}),
            "SHA256(a.ovf)= 00ff\nSHA256(a-disk1.vmdk)= abcd\n");
  OvaNames n = OvaEntryNames("hello_1.0.0");
  EXPECT_EQ(n.descriptor, "hello_1.0.0.ovf");
  EXPECT_EQ(n.manifest, "hello_1.0.0.mf");
  EXPECT_EQ(n.disk, "hello_1.0.0-disk1.vmdk");
}

TEST(OvaTest, DescriptorDeclaresDiskHardwareAndFirmware) {
  OvfParams p{"he<llo", "1.0", "d.vmdk", 1234, 64ULL << 20, false, 3, 1536};
  std::string x = MakeOvfDescriptor(p);
  EXPECT_NE(x.find("xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\""), std::string::npos);
  EXPECT_NE(x.find("ovf:href=\"d.vmdk\" ovf:id=\"file1\" ovf:size=\"1234\""), std::string::npos);
  EXPECT_NE(x.find("ovf:capacity=\"67108864\""), std::string::npos);
  EXPECT_NE(x.find("<rasd:VirtualQuantity>3</rasd:VirtualQuantity>"), std::string::npos);
  EXPECT_NE(x.find("<rasd:VirtualQuantity>1536</rasd:VirtualQuantity>"), std::string::npos);
  EXPECT_NE(x.find("he&lt;llo"), std::string::npos);
  EXPECT_EQ(x.find("he<llo"), std::string::npos);
  EXPECT_EQ(x.find("firmware"), std::string::npos);
  p.efi = true;
  EXPECT_NE(MakeOvfDescriptor(p).find("vmw:key=\"firmware\" vmw:value=\"efi\""), std::string::npos);
}

}  // namespace
}  // namespace kiln::vmformats
