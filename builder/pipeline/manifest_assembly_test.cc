#include "builder/pipeline/manifest_assembly.h"

#include <gtest/gtest.h>

#include "builder/common/files.h"
#include "builder/common/sha256.h"
#include "builder/disk/partition_types.h"
#include "builder/pipeline/pipeline.h"
#include "signing/key_generation.h"
#include "signing/pkcs7.h"

namespace kiln::pipeline {
namespace {

namespace fs = std::filesystem;

class ManifestAssemblyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = TempDir::Create().value();
    fs::create_directories(tmp_.path() / "out");
    staged_.emplace(StagedOutput::Create(tmp_.path() / "out").value());
  }
  TempDir tmp_;
  std::optional<StagedOutput> staged_;
};

recipe::Recipe SmallRecipe() {
  recipe::Recipe r;
  r.image = {"os", "2.0", Architecture::kX86_64, std::nullopt};
  r.file = "/src/os.toml";
  r.data = recipe::DataSection{};
  r.data->mountpoint = "/var";
  return r;
}

TEST_F(ManifestAssemblyTest, StartManifestCarriesTheBuildsIdentity) {
  BuildIdentity id{{{"overlay", "ov", "ab"}}, Seed{1, 2, 3}};
  auto m = StartManifest(SmallRecipe(), id, 1700000000, {{"bash", "5.2", "amd64"}}, nullptr);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->kiln_version, KilnVersion());
  EXPECT_EQ(m->image_name, "os");
  EXPECT_EQ(m->image_version, "2.0");
  EXPECT_EQ(m->architecture, "x86-64");
  EXPECT_EQ(m->recipe, "os.toml");
  EXPECT_EQ(m->recipe_sha256, ToHex(Sha256Of("")));  // no recipe file read: the digest of nothing
  EXPECT_EQ(m->inputs, id.inputs);
  EXPECT_EQ(m->seed, "01020300000000000000000000000000");
  EXPECT_EQ(m->source_date_epoch, 1700000000);
  EXPECT_EQ(m->data_mountpoint, "/var");
  ASSERT_EQ(m->packages.size(), 1u);
  EXPECT_TRUE(m->certificate_fingerprint.empty());
}

TEST_F(ManifestAssemblyTest, RecordDiskPinsEspFilesSortedByPath) {
  const fs::path a = tmp_.path() / "a", b = tmp_.path() / "b";
  ASSERT_TRUE(WriteFile(a, "loader").ok());
  ASSERT_TRUE(WriteFile(b, "uki").ok());
  DiskImageResult disk;
  disk.root_hash_hex = "ff";
  disk.layout.size_bytes = 1 << 20;
  disk.layout.partitions.push_back({});
  disk.layout.partitions[0].type = disk::PartitionTypeUuid(disk::PartitionRole::kEsp, Architecture::kX86_64);
  disk.layout.partitions[0].label = "ESP";
  disk.esp_files = {{b, "/EFI/Linux/os.efi"}, {a, "/EFI/BOOT/BOOTX64.EFI"}};
  manifest::BuildManifest m;
  ASSERT_TRUE(RecordDisk(m, disk).ok());
  EXPECT_EQ(m.root_hash, "ff");
  EXPECT_EQ(m.disk_size, 1u << 20);
  ASSERT_EQ(m.esp_files.size(), 2u);
  EXPECT_EQ(m.esp_files[0].path, "/EFI/BOOT/BOOTX64.EFI");
  EXPECT_EQ(m.esp_files[0].sha256, ToHex(Sha256Of("loader")));
  EXPECT_EQ(m.esp_files[1].size, 3u);
  ASSERT_EQ(m.partitions.size(), 1u);
  EXPECT_EQ(m.partitions[0].label, "ESP");
}

TEST_F(ManifestAssemblyTest, UnsignedManifestAddsItsOwnLine) {
  BuildOutputs outputs(*staged_, "os_2.0");
  manifest::BuildManifest m;
  m.artifacts = {{"os_2.0.raw", 3, "aa"}};
  auto sums = WriteManifest(m, nullptr, outputs);
  ASSERT_TRUE(sums.ok()) << sums.error().message;
  EXPECT_EQ(sums->manifest_name, "os_2.0.manifest.json");
  ASSERT_EQ(sums->entries.size(), 2u);
  const std::string json = ReadFile(outputs.Path("os_2.0.manifest.json")).value();
  EXPECT_EQ(json, manifest::ToJson(m));
  EXPECT_EQ(sums->entries[1].sha256, ToHex(Sha256Of(json)));
  EXPECT_EQ(outputs.kept(), std::vector<std::string>{"os_2.0.manifest.json"});
}

TEST_F(ManifestAssemblyTest, SignedManifestHasAVerifyingSignature) {
  auto k = signing::GenerateKey(signing::KeyAlgorithm::kEcP256, "t", 30);
  ASSERT_TRUE(k.ok());
  Signer signer{std::move(k->key), std::move(k->certificate)};
  BuildOutputs outputs(*staged_, "os_2.0");
  auto sums = WriteManifest(manifest::BuildManifest{}, &signer, outputs);
  ASSERT_TRUE(sums.ok()) << sums.error().message;
  ASSERT_EQ(sums->entries.size(), 2u);
  EXPECT_EQ(sums->entries[1].name, "os_2.0.manifest.json.p7s");
  const std::string json = ReadFile(outputs.Path("os_2.0.manifest.json")).value();
  const std::string p7s = ReadFile(outputs.Path("os_2.0.manifest.json.p7s")).value();
  EXPECT_TRUE(signing::VerifyPkcs7Detached(json, p7s, signer.cert).ok());
  EXPECT_FALSE(signing::VerifyPkcs7Detached(json + " ", p7s, signer.cert).ok());
}

}  // namespace
}  // namespace kiln::pipeline
