// The build manifest: what a release is made of and how to check it. Written beside the
// artifacts as NAME_VERSION.manifest.json (signed as .manifest.json.p7s) and read back by
// `kiln verify`, `kiln inspect` and `kiln rebuild`. Everything in it is deterministic: no
// absolute paths, host names or times other than SOURCE_DATE_EPOCH.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "builder/common/result.h"

namespace kiln::manifest {

inline constexpr int kManifestVersion = 1;

struct InputEntry {
  std::string kind;    // "recipe", "tarball", "lock", "overlay", "file", "image", "debian"
  std::string uri;     // path relative to the recipe directory, or an URL
  std::string sha256;  // of the bytes (for a directory: of its canonical listing)
  bool operator==(const InputEntry&) const = default;
};

struct PartitionEntry {
  std::string name;        // "root-x86-64", "root-x86-64-verity", "data", ...
  std::string type_uuid;
  std::string uuid;
  std::string label;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::uint64_t attributes = 0;
  std::string filesystem;  // "squashfs", "verity", "verity-sig", "ext4", "vfat"
  std::string slot;        // "A" or "B" for the root/verity/signature partitions of an A/B disk
  bool operator==(const PartitionEntry&) const = default;
};

struct ArtifactEntry {
  std::string name;  // file name in the output directory
  std::uint64_t size = 0;
  std::string sha256;
  bool operator==(const ArtifactEntry&) const = default;
};

// A file kiln put on the ESP (boot loader, UKI, loader.conf): the firmware reads these outside
// dm-verity, so the manifest pins them and `kiln verify IMAGE` compares them.
struct EspFileEntry {
  std::string path;  // absolute path on the ESP: "/EFI/Linux/x.efi"
  std::uint64_t size = 0;
  std::string sha256;
  bool operator==(const EspFileEntry&) const = default;
};

struct PackageEntry {
  std::string name;
  std::string version;
  std::string architecture;
  bool operator==(const PackageEntry&) const = default;
};

// [update]: what the image's update agent follows (docs/updates.md).
struct UpdateEntry {
  std::string channel;
  std::uint64_t slot_size = 0;
  unsigned tries = 0;
  bool operator==(const UpdateEntry&) const = default;
};

struct BuildManifest {
  int manifest_version = kManifestVersion;
  std::string kiln_version;
  std::string image_name;
  std::string image_version;
  std::string architecture;
  std::string recipe;         // recipe file name (relative to where it was built from)
  std::string recipe_sha256;  // digest over every recipe file read (includes)
  std::vector<InputEntry> inputs;
  std::string seed;           // hex, 16 bytes
  std::int64_t source_date_epoch = 0;
  std::string disk_guid;      // empty without a disk image
  std::uint64_t disk_size = 0;
  std::vector<PartitionEntry> partitions;
  std::vector<EspFileEntry> esp_files;  // sorted by path; empty without a boot loader
  std::string root_hash;      // empty without verity
  std::string certificate_fingerprint;  // empty when unsigned
  std::string data_mountpoint;
  std::optional<UpdateEntry> update;  // set for A/B images
  std::vector<PackageEntry> packages;
  std::vector<ArtifactEntry> artifacts;  // every artifact except the manifest, its signature and SHA256SUMS
  bool operator==(const BuildManifest&) const = default;
};

std::string ToJson(const BuildManifest& m);
Result<BuildManifest> ParseManifest(std::string_view json);
// Upper bounds for reading these files from an untrusted directory.
inline constexpr std::uint64_t kMaxManifestSize = 64ull << 20;
inline constexpr std::uint64_t kMaxSha256SumsSize = 16ull << 20;

// sha256sum format: "<hex>  <name>\n", sorted by name.
std::string FormatSha256Sums(std::vector<ArtifactEntry> artifacts);
// Every name must be a relative path confined to the directory (IsConfinedRelativePath: no
// absolute path, no "..") and appear once; kInput naming the line otherwise. Sizes are 0.
Result<std::vector<ArtifactEntry>> ParseSha256Sums(std::string_view text);

}  // namespace kiln::manifest
