#include "builder/oci/tar_writer.h"

#include <gtest/gtest.h>

#include "builder/oci/test_support.h"

namespace kiln::oci {
namespace {

using namespace kiln::oci::testing;

TEST(TarWriter, PaxForLargeIdsLongLinksAndNegativeTimes) {
  StringSink sink;
  TarWriter tar(sink);
  TarHeader big;
  big.path = "big";
  big.uid = 3000000;  // over the 7 octal digits of ustar
  big.gid = 4294967294u;
  big.mtime = -5;
  big.size = 3;
  ASSERT_TRUE(tar.WriteHeader(big).ok());
  ASSERT_TRUE(tar.WriteData("abc").ok());
  TarHeader link;
  link.path = "l";
  link.type = TarType::kSymlink;
  link.mode = 0777;
  link.link = std::string(150, 't');
  ASSERT_TRUE(tar.WriteHeader(link).ok());
  ASSERT_TRUE(tar.Finish().ok());

  auto entries = ReadTar(sink.data());
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].uid, 3000000);
  EXPECT_EQ(entries[0].gid, 4294967294LL);
  EXPECT_EQ(entries[0].mtime, -5);
  EXPECT_EQ(entries[0].content, "abc");
  EXPECT_EQ(entries[1].symlink, std::string(150, 't'));
  EXPECT_NE(sink.data().find("PaxHeaders.0/big"), std::string::npos);
}

TEST(TarWriter, ContentSizeIsEnforced) {
  StringSink sink;
  TarWriter tar(sink);
  TarHeader h;
  h.path = "f";
  h.size = 2;
  ASSERT_TRUE(tar.WriteHeader(h).ok());
  EXPECT_FALSE(tar.WriteData("abc").ok());
  ASSERT_TRUE(tar.WriteData("a").ok());
  Status s = tar.Finish();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("'f'"), std::string::npos);
}

TEST(TarWriter, OutputIsBlockAligned) {
  StringSink sink;
  TarWriter tar(sink);
  TarHeader h;
  h.path = "f";
  h.size = 513;
  ASSERT_TRUE(tar.WriteHeader(h).ok());
  ASSERT_TRUE(tar.WriteData(std::string(513, 'x')).ok());
  ASSERT_TRUE(tar.Finish().ok());
  EXPECT_EQ(sink.data().size(), 512u + 1024u + 1024u);
}

}  // namespace
}  // namespace kiln::oci
