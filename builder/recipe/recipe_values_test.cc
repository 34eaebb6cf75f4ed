#include "builder/recipe/recipe_values.h"

#include <gtest/gtest.h>

#include "builder/recipe/table_reader.h"

namespace kiln::recipe {
namespace {

TEST(RecipeValuesTest, Modes) {
  EXPECT_EQ(*ParseMode("0644"), 0644u);
  EXPECT_EQ(*ParseMode("4755"), 04755u);
  EXPECT_EQ(*ParseMode("07777"), 07777u);
  EXPECT_EQ(*ParseMode("0"), 0u);
  for (const char* bad : {"", "0o644", "8", "17777", "000000", "-1", "64 4"}) {
    EXPECT_FALSE(ParseMode(bad).ok()) << bad;
  }
}

TEST(RecipeValuesTest, Owners) {
  EXPECT_EQ(*ParseOwner("0:0"), (Owner{0, 0, "", ""}));
  EXPECT_EQ(*ParseOwner("1000:100"), (Owner{1000, 100, "", ""}));
  EXPECT_EQ(*ParseOwner("www-data"), (Owner{std::nullopt, std::nullopt, "www-data", "www-data"}));
  EXPECT_EQ(*ParseOwner("app:adm"), (Owner{std::nullopt, std::nullopt, "app", "adm"}));
  EXPECT_EQ(*ParseOwner("4294967294:0"), (Owner{4294967294u, 0, "", ""}));
  for (const char* bad : {"", ":", "1:", ":1", "4294967295:0", "Root", "a:b:c", "1a:0"}) {
    EXPECT_FALSE(ParseOwner(bad).ok()) << bad;
  }
  EXPECT_EQ(ParseOwner("a b").error().message,
            "invalid owner 'a b' (bad user name 'a b'; expected \"uid:gid\", \"user:group\" or "
            "\"user\")");
}

TEST(RecipeValuesTest, ImagePaths) {
  EXPECT_EQ(*NormalizeImagePath("/"), "/");
  EXPECT_EQ(*NormalizeImagePath("//etc/./motd/"), "/etc/motd");
  EXPECT_EQ(*NormalizeImagePath("/a..b/.c"), "/a..b/.c");
  EXPECT_FALSE(NormalizeImagePath("etc").ok());
  EXPECT_FALSE(NormalizeImagePath("").ok());
  EXPECT_FALSE(NormalizeImagePath("/etc/../x").ok());
  EXPECT_FALSE(NormalizeImagePath(std::string_view("/a\0b", 4)).ok());
}

TEST(RecipeValuesTest, Names) {
  EXPECT_TRUE(IsValidImageName("web-1.2_x"));
  EXPECT_FALSE(IsValidImageName("-web"));
  EXPECT_FALSE(IsValidImageName("Web"));
  EXPECT_TRUE(IsValidVersion("1.0.0+git~rc1-2_A"));
  EXPECT_FALSE(IsValidVersion(""));
  EXPECT_FALSE(IsValidVersion("1/2"));
  EXPECT_TRUE(IsValidAccountName("_apt"));
  EXPECT_TRUE(IsValidAccountName("machine$"));
  EXPECT_FALSE(IsValidAccountName("1abc"));
  EXPECT_FALSE(IsValidAccountName(std::string(33, 'a')));
}

TEST(RecipeValuesTest, EditDistance) {
  EXPECT_EQ(EditDistance("pakages", "packages"), 1u);
  EXPECT_EQ(EditDistance("imgae", "image"), 1u);  // transposition
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

}  // namespace
}  // namespace kiln::recipe
