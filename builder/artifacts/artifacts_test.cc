#include "builder/artifacts/artifacts.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace kiln::artifacts {
namespace {

TEST(Artifacts, EveryRoleHasAKindAndSuffixesAreUnique) {
  std::set<std::string_view> suffixes, formats;
  std::set<Role> roles;
  for (const auto& k : AllKinds()) {
    EXPECT_TRUE(suffixes.insert(k.suffix).second) << k.suffix;
    if (!k.format.empty()) {
      EXPECT_TRUE(formats.insert(k.format).second) << k.format;
    }
    EXPECT_TRUE(k.suffix.starts_with(".")) << k.suffix;
    roles.insert(k.role);
  }
  EXPECT_EQ(roles.size(), static_cast<std::size_t>(Role::kVeritySignatureJson) + 1);
}

TEST(Artifacts, FileNamesAreBasePlusSuffix) {
  EXPECT_EQ(FileName(Role::kDiskImage, "os_1.0"), "os_1.0.raw");
  EXPECT_EQ(FileName(Role::kRootFilesystem, "os_1.0"), "os_1.0.root.squashfs");
  EXPECT_EQ(FileName(Role::kVerityHashTree, "os_1.0"), "os_1.0.root.verity");
  EXPECT_EQ(FileName(Role::kRootHash, "os_1.0"), "os_1.0.root.roothash");
  EXPECT_EQ(FileName(Role::kRootHashSignature, "os_1.0"), "os_1.0.root.roothash.p7s");
  EXPECT_EQ(FileName(Role::kBootImage, "os_1.0"), "os_1.0.efi");
  EXPECT_EQ(FileName(Role::kBlockMap, "os_1.0"), "os_1.0.bmap");
  EXPECT_EQ(FileName(Role::kCompressedRootFilesystem, "os_1.0"), "os_1.0.root.squashfs.zst");
  EXPECT_EQ(FileName(Role::kVeritySignatureJson, "os_1.0"), "os_1.0.roothash.p7s.json");
  EXPECT_EQ(FileName(Role::kOciLayout, "os_1.0"), "os_1.0.oci");
  EXPECT_EQ(FileName(Role::kOciArchive, "os_1.0"), "os_1.0.oci.tar");
  EXPECT_EQ(FileName(Role::kSpdxSbom, "os_1.0"), "os_1.0.spdx.json");
  EXPECT_EQ(FileName(Role::kCycloneDxSbom, "os_1.0"), "os_1.0.cdx.json");
  EXPECT_EQ(FileName(Role::kProvenance, "os_1.0"), "os_1.0.intoto.json");
  EXPECT_EQ(FileName(Role::kManifest, "os_1.0"), "os_1.0.manifest.json");
  EXPECT_EQ(FileName(Role::kManifestSignature, "os_1.0"), "os_1.0.manifest.json.p7s");
}

TEST(Artifacts, FormatsNameTheirKind) {
  const std::pair<const char*, const char*> cases[] = {{"qcow2", ".qcow2"}, {"vmdk", ".vmdk"}, {"vhd", ".vhd"},
                                                       {"vhdx", ".vhdx"},   {"gce", ".gce.tar.gz"}, {"ova", ".ova"},
                                                       {"bmap", ".bmap"},   {"raw", ".raw"}};
  for (const auto& [format, suffix] : cases) {
    const ArtifactKind* k = KindOfFormat(format);
    ASSERT_NE(k, nullptr) << format;
    EXPECT_EQ(k->suffix, suffix);
  }
  EXPECT_EQ(KindOfFormat(""), nullptr);
  EXPECT_EQ(KindOfFormat("iso"), nullptr);
}

TEST(Artifacts, TheLongestSuffixDecidesAFilesKind) {
  EXPECT_EQ(KindOfFile("os_1.0.root.roothash.p7s")->role, Role::kRootHashSignature);
  EXPECT_EQ(KindOfFile("os_1.0.root.roothash")->role, Role::kRootHash);
  EXPECT_EQ(KindOfFile("os_1.0.manifest.json.p7s")->role, Role::kManifestSignature);
  EXPECT_EQ(KindOfFile("os_1.0.manifest.json")->role, Role::kManifest);
  EXPECT_EQ(KindOfFile("os_1.0.gce.tar.gz")->format, "gce");
  EXPECT_EQ(KindOfFile("os_1.0.vhdx")->format, "vhdx");
  EXPECT_EQ(KindOfFile("os_1.0.vhd")->format, "vhd");
  EXPECT_EQ(KindOfFile("os_1.0.oci.tar")->role, Role::kOciArchive);
  EXPECT_EQ(KindOfFile("os_1.0.tar"), nullptr);
  EXPECT_EQ(KindOfFile(".raw"), nullptr);  // a suffix alone names no build
  EXPECT_EQ(KindOfFile("SHA256SUMS"), nullptr);
  EXPECT_TRUE(HasRole("a.manifest.json", Role::kManifest));
  EXPECT_FALSE(HasRole("a.manifest.json.p7s", Role::kManifest));
}

TEST(Artifacts, BaseOfStripsOnlyItsRolesSuffix) {
  EXPECT_EQ(BaseOf("os_1.0.manifest.json", Role::kManifest), "os_1.0");
  EXPECT_EQ(BaseOf("os_1.0.oci", Role::kOciLayout), "os_1.0");
  EXPECT_EQ(BaseOf("os_1.0.raw", Role::kManifest), "");
  EXPECT_EQ(BaseOf(".manifest.json", Role::kManifest), "");
}

TEST(Artifacts, SignaturesAndProvenanceDependOnTheKey) {
  for (Role r : {Role::kRootHashSignature, Role::kManifestSignature, Role::kProvenance})
    EXPECT_TRUE(DependsOnSigningKey(FileName(r, "a")));
  for (Role r : {Role::kDiskImage, Role::kRootFilesystem, Role::kRootHash, Role::kManifest, Role::kSpdxSbom})
    EXPECT_FALSE(DependsOnSigningKey(FileName(r, "a")));
  EXPECT_FALSE(DependsOnSigningKey("SHA256SUMS"));
}

TEST(Artifacts, ASignatureIsNamedAfterTheFileItSigns) {
  EXPECT_EQ(SignatureFileName(FileName(Role::kManifest, "a")), FileName(Role::kManifestSignature, "a"));
  EXPECT_EQ(SignatureFileName(FileName(Role::kRootHash, "a")), FileName(Role::kRootHashSignature, "a"));
}

// These strings are in registry manifests kiln has pushed: a change changes their digests.
TEST(Artifacts, MediaTypesAreThoseKilnHasAlwaysPushed) {
  EXPECT_EQ(MediaTypeOf("SHA256SUMS"), "text/plain");
  EXPECT_EQ(MediaTypeOf("a.root.squashfs"), "application/vnd.kiln.rootfs.squashfs");
  EXPECT_EQ(MediaTypeOf("a.root.verity"), "application/vnd.kiln.verity.hashtree");
  EXPECT_EQ(MediaTypeOf("a.root.roothash.p7s"), "application/pkcs7-signature");
  EXPECT_EQ(MediaTypeOf("a.root.roothash"), "text/plain");
  EXPECT_EQ(MediaTypeOf("a.manifest.json.p7s"), "application/pkcs7-signature");
  EXPECT_EQ(MediaTypeOf("a.manifest.json"), "application/vnd.kiln.build-manifest.v1+json");
  EXPECT_EQ(MediaTypeOf("a.spdx.json"), "application/spdx+json");
  EXPECT_EQ(MediaTypeOf("a.cdx.json"), "application/vnd.cyclonedx+json");
  EXPECT_EQ(MediaTypeOf("a.intoto.json"), "application/vnd.dsse.envelope.v1+json");
  EXPECT_EQ(MediaTypeOf("a.raw"), "application/vnd.kiln.disk.raw");
  EXPECT_EQ(MediaTypeOf("a.qcow2"), "application/vnd.kiln.disk.qcow2");
  EXPECT_EQ(MediaTypeOf("a.vmdk"), "application/vnd.kiln.disk.vmdk");
  EXPECT_EQ(MediaTypeOf("a.efi"), "application/vnd.microsoft.portable-executable");
  EXPECT_EQ(MediaTypeOf("a.oci.tar"), "application/vnd.oci.image.layout.v1+tar");
  for (const char* other : {"a.vhd", "a.vhdx", "a.gce.tar.gz", "a.ova", "a.bmap", "a.txt"})
    EXPECT_EQ(MediaTypeOf(other), "application/octet-stream") << other;
}

}  // namespace
}  // namespace kiln::artifacts
