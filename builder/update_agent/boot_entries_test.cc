#include "builder/update_agent/boot_entries.h"

#include <gtest/gtest.h>

#include "builder/common/files.h"

namespace kiln::update_agent {
namespace {

namespace fs = std::filesystem;

TEST(BootEntries, ParsesCountedAndBlessedNames) {
  auto blessed = ParseEntryName("app_1.0.efi", "app");
  ASSERT_TRUE(blessed);
  EXPECT_EQ(blessed->version, "1.0");
  EXPECT_FALSE(blessed->counting());

  auto fresh = ParseEntryName("app_2.0+3.efi", "app");
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->version, "2.0");
  EXPECT_EQ(fresh->tries_left, 3);
  EXPECT_FALSE(fresh->tries_done);

  auto tried = ParseEntryName("my_app_2.0~rc1+0-3.efi", "my_app");
  ASSERT_TRUE(tried);
  EXPECT_EQ(tried->version, "2.0~rc1");
  EXPECT_EQ(tried->tries_left, 0);
  EXPECT_EQ(tried->tries_done, 3);
  EXPECT_TRUE(tried->bad());
}

TEST(BootEntries, RefusesOtherNames) {
  for (const char* name : {"app_1.0.conf", "other_1.0.efi", "app_.efi", "app1.0.efi", "app_1.0+x.efi", "app_1.0+1-.efi",
                           "app_1_0.efi", "app_1.0+99999.efi", ".kiln-update-app_1.0+3.efi.tmp", "app_1 0.efi"})
    EXPECT_FALSE(ParseEntryName(name, "app")) << name;
}

TEST(BootEntries, NamesRoundTrip) {
  EXPECT_EQ(EntryFileName("app", "1.0"), "app_1.0.efi");
  EXPECT_EQ(EntryFileName("app", "1.0", 3), "app_1.0+3.efi");
  EXPECT_EQ(EntryFileName("app", "1.0", 0, 2), "app_1.0+0-2.efi");
  auto e = ParseEntryName(EntryFileName("app", "1.0", 2, 1), "app");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->tries_left, 2);
  EXPECT_EQ(e->tries_done, 1);
}

TEST(BootEntries, DirectoryOperations) {
  auto dir = TempDir::Create({}, "kiln-esp-test");
  ASSERT_TRUE(dir.ok());
  const fs::path esp = dir->path();
  fs::create_directories(esp / "EFI/Linux");
  for (const char* n : {"app_1.0.efi", "app_2.0+3.efi", "app_2.0+0-3.efi", "other_9.efi", ".kiln-update-app_3.0+3.efi.tmp"})
    ASSERT_TRUE(WriteFile(esp / "EFI/Linux" / n, "x").ok());
  auto entries = ListEntries(esp, "app");
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ(FindEntry(*entries, "1.0")->file_name, "app_1.0.efi");

  ASSERT_TRUE(RemoveEntriesOf(esp, "app", "2.0").ok());
  ASSERT_TRUE(RemoveTemporaryEntries(esp).ok());
  ASSERT_TRUE(RenameEntry(esp, "app_1.0.efi", "app_1.0+0.efi").ok());
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(esp / "EFI/Linux")) left.push_back(e.path().filename().string());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"app_1.0+0.efi", "other_9.efi"}));

  auto none = ListEntries(esp / "missing", "app");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace kiln::update_agent
