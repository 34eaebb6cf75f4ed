#include "builder/artifacts/artifacts.h"

#include <cstdlib>

namespace kiln::artifacts {

namespace {

// Media types are part of what `kiln push` writes into registry manifests: changing one changes
// pushed digests. Kinds without one are pushed as application/octet-stream.
constexpr ArtifactKind kKinds[] = {
    {Role::kDiskImage, "raw", ".raw", "application/vnd.kiln.disk.raw"},
    {Role::kRootFilesystem, "squashfs", ".root.squashfs", "application/vnd.kiln.rootfs.squashfs"},
    {Role::kVerityHashTree, "", ".root.verity", "application/vnd.kiln.verity.hashtree"},
    {Role::kRootHash, "", ".root.roothash", "text/plain"},
    {Role::kRootHashSignature, "", ".root.roothash.p7s", "application/pkcs7-signature"},
    {Role::kBootImage, "", ".efi", "application/vnd.microsoft.portable-executable"},
    {Role::kVmImage, "qcow2", ".qcow2", "application/vnd.kiln.disk.qcow2"},
    {Role::kVmImage, "vmdk", ".vmdk", "application/vnd.kiln.disk.vmdk"},
    {Role::kVmImage, "vhd", ".vhd", ""},
    {Role::kVmImage, "vhdx", ".vhdx", ""},
    {Role::kVmImage, "gce", ".gce.tar.gz", ""},
    {Role::kVmImage, "ova", ".ova", ""},
    {Role::kBlockMap, "bmap", ".bmap", ""},
    {Role::kOciLayout, "oci", ".oci", ""},
    {Role::kOciArchive, "oci-archive", ".oci.tar", "application/vnd.oci.image.layout.v1+tar"},
    {Role::kSpdxSbom, "", ".spdx.json", "application/spdx+json"},
    {Role::kCycloneDxSbom, "", ".cdx.json", "application/vnd.cyclonedx+json"},
    {Role::kProvenance, "", ".intoto.json", "application/vnd.dsse.envelope.v1+json"},
    {Role::kManifest, "", ".manifest.json", "application/vnd.kiln.build-manifest.v1+json"},
    {Role::kManifestSignature, "", ".manifest.json.p7s", "application/pkcs7-signature"},
    {Role::kCompressedRootFilesystem, "", ".root.squashfs.zst", ""},
    {Role::kVeritySignatureJson, "", ".roothash.p7s.json", ""},
};

}  // namespace

std::span<const ArtifactKind> AllKinds() { return kKinds; }

const ArtifactKind& KindOf(Role role) {
  for (const auto& k : kKinds)
    if (k.role == role) return k;
  std::abort();  // every Role has a row in kKinds (artifacts_test checks it)
}

const ArtifactKind* KindOfFormat(std::string_view format) {
  if (format.empty()) return nullptr;
  for (const auto& k : kKinds)
    if (k.format == format) return &k;
  return nullptr;
}

const ArtifactKind* KindOfFile(std::string_view file_name) {
  const ArtifactKind* best = nullptr;
  for (const auto& k : kKinds)
    if (file_name.size() > k.suffix.size() && file_name.ends_with(k.suffix) &&
        (!best || k.suffix.size() > best->suffix.size()))
      best = &k;
  return best;
}

std::string FileName(Role role, std::string_view base) {
  std::string name(base);
  name += KindOf(role).suffix;
  return name;
}

bool HasRole(std::string_view file_name, Role role) {
  const ArtifactKind* k = KindOfFile(file_name);
  return k && k->role == role;
}

std::string BaseOf(std::string_view file_name, Role role) {
  const std::string_view suffix = KindOf(role).suffix;
  if (file_name.size() <= suffix.size() || !file_name.ends_with(suffix)) return "";
  return std::string(file_name.substr(0, file_name.size() - suffix.size()));
}

bool DependsOnSigningKey(std::string_view file_name) {
  const ArtifactKind* k = KindOfFile(file_name);
  return k && (k->role == Role::kRootHashSignature || k->role == Role::kManifestSignature || k->role == Role::kProvenance);
}

std::string SignatureFileName(std::string_view signed_file_name) {
  std::string name(signed_file_name);
  name += ".p7s";
  return name;
}

std::string MediaTypeOf(std::string_view file_name) {
  if (file_name == kChecksumsFileName) return "text/plain";
  const ArtifactKind* k = KindOfFile(file_name);
  if (k && !k->media_type.empty()) return std::string(k->media_type);
  return "application/octet-stream";
}

}  // namespace kiln::artifacts
