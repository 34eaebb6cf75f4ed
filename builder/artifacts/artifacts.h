// The artifact set of a build: every file `kiln build` can write for NAME_VERSION, with its
// file name suffix, the media type it gets as an OCI/registry layer and its role. This is the
// one place those names are spelled: the pipeline names what it writes with it, and push,
// pull, rebuild, verify, flash and the VM formats recognise files with it. A new output format
// or update payload is added to the table in artifacts.cc and nowhere else.
//
// Its own library rather than part of kiln_common: it is a fact about kiln's outputs, not a
// helper every stage needs, and it depends on nothing, so any library may link it without
// changing the dependency picture (docs/architecture.md).
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace kiln::artifacts {

enum class Role {
  kDiskImage,          // NAME_VERSION.raw: the GPT disk image
  kRootFilesystem,     // .root.squashfs: the root partition's bytes (or the squashfs output)
  kVerityHashTree,     // .root.verity: its dm-verity hash device
  kRootHash,           // .root.roothash: the root hash in hex and a newline
  kRootHashSignature,  // .root.roothash.p7s: PKCS#7 over the root hash
  kBootImage,          // .efi: the unified kernel image beside the disk image
  kVmImage,            // .qcow2, .vhd, ...: a VM template format made from the raw image
  kBlockMap,           // .bmap: the raw image's block map, for flashing
  kOciLayout,          // .oci: an OCI image layout directory
  kOciArchive,         // .oci.tar: the same layout as one tar
  kSpdxSbom,           // .spdx.json
  kCycloneDxSbom,      // .cdx.json
  kProvenance,         // .intoto.json: DSSE envelope of the in-toto SLSA statement
  kManifest,           // .manifest.json: the build manifest
  kManifestSignature,  // .manifest.json.p7s: PKCS#7 over the build manifest
  // Update payloads `kiln publish` writes into a release channel (docs/updates.md):
  kCompressedRootFilesystem,  // .root.squashfs.zst: the root squashfs, zstd-compressed
  kVeritySignatureJson,       // .roothash.p7s.json: the verity-sig partition's JSON
};

struct ArtifactKind {
  Role role;
  std::string_view format;      // its format name ([output] formats, vmformats; "" when none)
  std::string_view suffix;      // appended to NAME_VERSION
  std::string_view media_type;  // as a registry layer ("" pushes as application/octet-stream)
};

// SHA256SUMS: the one artifact with a fixed name; it lists every build in the directory.
inline constexpr std::string_view kChecksumsFileName = "SHA256SUMS";

// Every kind, each once.
std::span<const ArtifactKind> AllKinds();

// The kind of role (for kVmImage, which has several, use KindOfFormat).
const ArtifactKind& KindOf(Role role);

// The kind an [output] format name writes ("qcow2", "bmap", "raw", ...); nullptr when none.
const ArtifactKind* KindOfFormat(std::string_view format);

// The kind whose suffix ends file_name, the longest such suffix winning (".root.roothash.p7s"
// is a root hash signature, not a root hash); nullptr when no kind matches.
const ArtifactKind* KindOfFile(std::string_view file_name);

// base + the role's suffix: FileName(Role::kManifest, "os_1.0") == "os_1.0.manifest.json".
std::string FileName(Role role, std::string_view base);

// Whether file_name (a name, not a path) ends with role's suffix.
bool HasRole(std::string_view file_name, Role role);

// file_name without role's suffix ("os_1.0.manifest.json" -> "os_1.0"); "" when the name does
// not end with it or nothing is left.
std::string BaseOf(std::string_view file_name, Role role);

// Whether the file's bytes depend on the signing key (the root hash and manifest signatures,
// the provenance envelope): an unsigned rebuild cannot reproduce them.
bool DependsOnSigningKey(std::string_view file_name);

// The detached PKCS#7 signature of a signed file is named after it:
// SignatureFileName("os_1.0.manifest.json") == "os_1.0.manifest.json.p7s".
std::string SignatureFileName(std::string_view signed_file_name);

// The layer media type a file gets when pushed: its kind's, "text/plain" for SHA256SUMS,
// otherwise "application/octet-stream".
std::string MediaTypeOf(std::string_view file_name);

}  // namespace kiln::artifacts
