#include "builder/rebuild/rebuild_check.h"

#include <gtest/gtest.h>

#include "builder/common/files.h"

namespace kiln::rebuild {
namespace {

namespace fs = std::filesystem;

manifest::BuildManifest WithArtifacts(std::vector<manifest::ArtifactEntry> a) {
  manifest::BuildManifest m;
  m.artifacts = std::move(a);
  m.inputs = {{"recipe", "os.toml", "aa"}, {"overlay", "ov", "bb"}};
  return m;
}

TEST(ExplainInputChange, FirstChangedVanishedOrNewInput) {
  manifest::BuildManifest a = WithArtifacts({}), b = a;
  EXPECT_EQ(ExplainInputChange(a, b), "");
  b.inputs[1].sha256 = "cc";
  EXPECT_EQ(ExplainInputChange(a, b), "input overlay ov changed: sha256 bb -> cc");
  b.inputs.pop_back();
  EXPECT_EQ(ExplainInputChange(a, b), "input overlay ov is no longer used");
  EXPECT_EQ(ExplainInputChange(b, a), "new input overlay ov");
}

TEST(ComparisonOrder, RootThenDiskThenTheRestAsRecorded) {
  auto order = ComparisonOrder({{"os_1.bmap", 0, ""},
                                {"os_1.raw", 0, ""},
                                {"os_1.spdx.json", 0, ""},
                                {"os_1.root.squashfs", 0, ""},
                                {"os_1.efi", 0, ""}});
  std::vector<std::string> names;
  for (auto& a : order) names.push_back(a.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"os_1.root.squashfs", "os_1.raw", "os_1.bmap", "os_1.spdx.json", "os_1.efi"}));
}

TEST(CompareRebuild, IdenticalUnsignedRebuildSkipsKeyDependentFiles) {
  auto recorded =
      WithArtifacts({{"os_1.root.squashfs", 1, "r"}, {"os_1.intoto.json", 1, "p"}, {"os_1.root.roothash.p7s", 1, "s"}});
  auto rebuilt = WithArtifacts({{"os_1.root.squashfs", 1, "r"}});
  RebuildComparison c = CompareRebuild(recorded, "/nonexistent", rebuilt, "/nonexistent", false);
  EXPECT_FALSE(c.mismatch);
  EXPECT_EQ(c.identical, 1);
  // Signed, the missing signature and envelope are differences.
  EXPECT_TRUE(CompareRebuild(recorded, "/nonexistent", rebuilt, "/nonexistent", true).mismatch);
}

TEST(CompareRebuild, FirstDifferenceWithItsCause) {
  TempDir tmp = TempDir::Create().value();
  auto recorded = WithArtifacts({{"os_1.spdx.json", 1, "x"}, {"os_1.root.squashfs", 1, "r"}});
  auto rebuilt = WithArtifacts({{"os_1.spdx.json", 1, "y"}, {"os_1.root.squashfs", 1, "r2"}});
  rebuilt.inputs[0].sha256 = "changed";
  RebuildComparison c = CompareRebuild(recorded, tmp.path(), rebuilt, tmp.path(), false);
  ASSERT_TRUE(c.mismatch);
  EXPECT_EQ(c.mismatch->artifact, "os_1.root.squashfs");  // the root is compared first
  EXPECT_EQ(c.mismatch->problem, "sha256 r2 differs from the recorded r");
  EXPECT_EQ(c.mismatch->cause, "input recipe os.toml changed: sha256 aa -> changed");
  EXPECT_EQ(c.mismatch->diff, "(the recorded artifact is not beside the manifest to compare)");
  EXPECT_EQ(c.identical, 0);
  auto missing = CompareRebuild(recorded, tmp.path(), WithArtifacts({}), tmp.path(), false);
  ASSERT_TRUE(missing.mismatch);
  EXPECT_EQ(missing.mismatch->problem, "not produced by the rebuild");
}

TEST(LoadRecordedRecipe, RefusesAnotherRecipe) {
  TempDir tmp = TempDir::Create().value();
  const fs::path recipe = tmp.path() / "os.toml";
  ASSERT_TRUE(WriteFile(recipe, "[image]\nname = \"os\"\nversion = \"1\"\n").ok());
  manifest::BuildManifest recorded;
  recorded.recipe_sha256 = "00";
  auto r = LoadRecordedRecipe(recipe, recorded);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInput);
  EXPECT_NE(r.error().message.find("is not the one the manifest records"), std::string::npos);
}

}  // namespace
}  // namespace kiln::rebuild
