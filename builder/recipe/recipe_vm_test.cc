// [vm] and [output] vmdk_subformat: defaults, values and their errors.
#include <gtest/gtest.h>

#include <string>

#include "builder/recipe/recipe_parser.h"

namespace kiln::recipe {
namespace {

constexpr const char* kHeader = "[image]\nname = \"app\"\nversion = \"1\"\n";

std::string Err(const std::string& body) {
  Result<Recipe> r = ParseRecipe(std::string(kHeader) + body, "x.toml");
  if (r.ok()) return "<parsed fine>";
  EXPECT_EQ(r.error().code, ErrorCode::kRecipe);
  return r.error().message;
}

TEST(RecipeVmTest, Defaults) {
  Result<Recipe> r = ParseRecipe(std::string(kHeader) + "[output]\nformats = [\"raw\", \"ova\"]\n", "x.toml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->vm.cpus, 2u);
  EXPECT_EQ(r->vm.memory, 2ULL << 30);
  EXPECT_EQ(r->output.vmdk_subformat, "monolithicSparse");
}

TEST(RecipeVmTest, Values) {
  Result<Recipe> r = ParseRecipe(std::string(kHeader) +
                                     "[output]\nformats = [\"vhd\", \"vhdx\", \"gce\", \"vmdk\"]\n"
                                     "vmdk_subformat = \"streamOptimized\"\n[vm]\ncpus = 4\nmemory = \"4G\"\n",
                                 "x.toml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->vm.cpus, 4u);
  EXPECT_EQ(r->vm.memory, 4ULL << 30);
  EXPECT_EQ(r->output.vmdk_subformat, "streamOptimized");
}

TEST(RecipeVmTest, Errors) {
  EXPECT_EQ(Err("[vm]\ncpus = 0\n"), "x.toml:5:8: [vm].cpus: value 0 out of range (1..128)");
  EXPECT_EQ(Err("[vm]\ncpus = \"2\"\n"), "x.toml:5:8: [vm].cpus: expected an integer, got string");
  EXPECT_EQ(Err("[vm]\nmemory = \"64M\"\n"), "x.toml:5:10: [vm].memory: must be from 128M to 1T, got 64 MiB");
  EXPECT_EQ(Err("[vm]\nmemory = 1000000000\n"),
            "x.toml:5:10: [vm].memory: must be a whole number of MiB, got 1000000000 bytes");
  EXPECT_EQ(Err("[vm]\ndisks = 2\n"), "x.toml:5:1: unknown key 'disks' in [vm] (allowed: cpus, memory)");
  EXPECT_NE(Err("[output]\nvmdk_subformat = \"twoGbMaxExtentSparse\"\n").find("vmdk_subformat"), std::string::npos);
}

}  // namespace
}  // namespace kiln::recipe
