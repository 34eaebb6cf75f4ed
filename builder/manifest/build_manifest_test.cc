#include "builder/manifest/build_manifest.h"

#include <gtest/gtest.h>

namespace kiln::manifest {
namespace {

BuildManifest Sample() {
  BuildManifest m;
  m.kiln_version = "0.1.0";
  m.image_name = "demo";
  m.image_version = "1.0";
  m.architecture = "x86-64";
  m.recipe = "demo.toml";
  m.recipe_sha256 = std::string(64, 'a');
  m.inputs = {{"tarball", "https://example.com/root.tar.gz", std::string(64, 'b')}};
  m.seed = "00112233445566778899aabbccddeeff";
  m.source_date_epoch = 1700000000;
  m.disk_guid = "01234567-89ab-4cde-8f01-23456789abcd";
  m.disk_size = 1 << 30;
  m.partitions = {{"root-x86-64", "4f68bce3-e8cd-4db1-96e7-fbcaf984b709",
                   "11111111-2222-4333-8444-555555555555", "root-x86-64", 1048576, 4096,
                   1ull << 60, "squashfs", ""}};
  m.root_hash = std::string(64, 'c');
  m.packages = {{"bash", "5.2.15-2+b2", "amd64"}};
  m.artifacts = {{"demo_1.0.raw", 123, std::string(64, 'd')}, {"a.squashfs", 7, std::string(64, 'e')}};
  return m;
}

TEST(BuildManifest, RoundTrips) {
  BuildManifest m = Sample();
  std::string json = ToJson(m);
  auto back = ParseManifest(json);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(*back, m);
  EXPECT_EQ(ToJson(*back), json);  // stable serialisation
}

TEST(BuildManifest, EspFilesRoundTripAndArePathsOnTheEsp) {
  BuildManifest m = Sample();
  m.esp_files = {{"/EFI/BOOT/BOOTX64.EFI", 10, std::string(64, '1')}, {"/EFI/Linux/demo_1.0.efi", 20, std::string(64, '2')}};
  auto back = ParseManifest(ToJson(m));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->esp_files, m.esp_files);
  EXPECT_EQ(ToJson(Sample()).find("espFiles"), std::string::npos);  // only when there is an ESP
  m.esp_files[0].path = "/EFI/../../x";
  EXPECT_FALSE(ParseManifest(ToJson(m)).ok());
}

TEST(BuildManifest, UpdateAndSlotsRoundTripOnlyWhenSet) {
  BuildManifest m = Sample();
  EXPECT_EQ(ToJson(m).find("\"update\""), std::string::npos);
  EXPECT_EQ(ToJson(m).find("\"slot\""), std::string::npos);
  m.update = UpdateEntry{"http://10.0.2.100/", 512ull << 20, 3};
  m.partitions[0].slot = "A";
  m.partitions[0].label = "demo_1.0";
  const std::string json = ToJson(m);
  EXPECT_NE(json.find("\"slot\": \"A\""), std::string::npos);
  EXPECT_NE(json.find("\"slotSize\": 536870912"), std::string::npos);
  auto back = ParseManifest(json);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(*back, m);
  // Hostile types are errors, not throws.
  std::string bad = json;
  bad.replace(bad.find("\"slot\": \"A\""), 11, "\"slot\": 7  ");
  EXPECT_FALSE(ParseManifest(bad).ok());
}

TEST(BuildManifest, RejectsArtifactNamesOutsideTheDirectory) {
  BuildManifest m = Sample();
  m.artifacts[0].name = "../etc/passwd";
  auto r = ParseManifest(ToJson(m));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("outside its directory"), std::string::npos);
  EXPECT_FALSE(ParseManifest("{not json").ok());
}

TEST(Sha256Sums, SortedAndParsed) {
  std::string sums = FormatSha256Sums(Sample().artifacts);
  EXPECT_EQ(sums, std::string(64, 'e') + "  a.squashfs\n" + std::string(64, 'd') + "  demo_1.0.raw\n");
  auto parsed = ParseSha256Sums(sums);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[1].name, "demo_1.0.raw");
  EXPECT_FALSE(ParseSha256Sums("zz  x\n").ok());
}

TEST(Sha256Sums, NamesAreConfinedRelativePathsListedOnce) {
  const std::string h(64, 'a');
  EXPECT_TRUE(ParseSha256Sums(h + "  x.oci/blobs/sha256/" + h + "\n").ok());  // kiln's own layout lines
  for (const char* name : {"/dev/zero", "/etc/passwd", "../x", "a/../../x", "a//b", "./x", "a\\b", "x/"}) {
    auto r = ParseSha256Sums(h + "  " + name + "\n");
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_NE(r.error().message.find("line 1"), std::string::npos) << r.error().message;
  }
  auto twice = ParseSha256Sums(h + "  a\n" + h + "  a\n");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("line 2"), std::string::npos);
}

}  // namespace
}  // namespace kiln::manifest
