#include "builder/manifest/published_files.h"

#include <gtest/gtest.h>

#include "builder/common/files.h"

namespace kiln::manifest {
namespace {

namespace fs = std::filesystem;

TEST(ReadPublishedFiles, FilesWithSizesAndLayoutsCounted) {
  TempDir tmp = TempDir::Create().value();
  ASSERT_TRUE(WriteFile(tmp.path() / "a_1.raw", "12345").ok());
  ASSERT_TRUE(WriteFile(tmp.path() / "SHA256SUMS", std::string(64, 'a') + "  a_1.oci/blobs/sha256/x\n" +
                                                       std::string(64, 'b') + "  a_1.oci/index.json\n" +
                                                       std::string(64, 'c') + "  a_1.raw\n")
                  .ok());
  auto r = ReadPublishedFiles(tmp.path());
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->files.size(), 1u);
  EXPECT_EQ(r->files[0].name, "a_1.raw");
  EXPECT_EQ(r->files[0].size, 5u);
  EXPECT_EQ(r->files[0].sha256, std::string(64, 'c'));
  EXPECT_EQ(r->layouts, (std::map<std::string, std::size_t>{{"a_1.oci/", 2}}));
}

TEST(ReadPublishedFiles, MissingOrMalformedSumsAreErrors) {
  TempDir tmp = TempDir::Create().value();
  EXPECT_FALSE(ReadPublishedFiles(tmp.path()).ok());
  ASSERT_TRUE(WriteFile(tmp.path() / "SHA256SUMS", "not a line\n").ok());
  EXPECT_FALSE(ReadPublishedFiles(tmp.path()).ok());
}

}  // namespace
}  // namespace kiln::manifest
