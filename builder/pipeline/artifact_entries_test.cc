#include "builder/pipeline/artifact_entries.h"

#include <gtest/gtest.h>

#include "builder/common/files.h"
#include "builder/common/sha256.h"

namespace kiln::pipeline {
namespace {

namespace fs = std::filesystem;

manifest::ArtifactEntry Entry(const std::string& name, std::string_view data) {
  return {name, data.size(), ToHex(Sha256Of(data))};
}

TEST(DescribeArtifacts, FilesAndEveryFileOfADirectorySortedByName) {
  TempDir tmp = TempDir::Create().value();
  const fs::path d = tmp.path();
  ASSERT_TRUE(WriteFile(d / "x_1.raw", "raw").ok());
  fs::create_directories(d / "x_1.oci" / "blobs" / "sha256");
  ASSERT_TRUE(WriteFile(d / "x_1.oci" / "index.json", "{}").ok());
  ASSERT_TRUE(WriteFile(d / "x_1.oci" / "blobs" / "sha256" / "ab", "blob").ok());
  ASSERT_TRUE(WriteFile(d / "a_1.spdx.json", "sbom").ok());
  ASSERT_TRUE(WriteFile(d / "not-kept", "x").ok());
  auto r = DescribeArtifacts(d, {"x_1.raw", "x_1.oci", "a_1.spdx.json"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, (std::vector<manifest::ArtifactEntry>{Entry("a_1.spdx.json", "sbom"),
                                                      Entry("x_1.oci/blobs/sha256/ab", "blob"),
                                                      Entry("x_1.oci/index.json", "{}"), Entry("x_1.raw", "raw")}));
}

TEST(DescribeArtifacts, MissingFileIsAnError) {
  TempDir tmp = TempDir::Create().value();
  EXPECT_FALSE(DescribeArtifacts(tmp.path(), {"gone"}).ok());
}

TEST(InsertSorted, KeepsTheOrder) {
  std::vector<manifest::ArtifactEntry> v{Entry("a", "1"), Entry("c", "3")};
  InsertSorted(v, Entry("b", "2"));
  InsertSorted(v, Entry("d", "4"));
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[1].name, "b");
  EXPECT_EQ(v[3].name, "d");
}

}  // namespace
}  // namespace kiln::pipeline
