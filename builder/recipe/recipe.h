// The parsed, validated recipe: plain data, paths already resolved against the recipe's
// directory. Parsing and validation live in recipe_parser.h; docs/recipe.md documents
// every key. Later stages read this struct and nothing else from the TOML.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "builder/common/apt_settings.h"
#include "builder/common/architecture.h"
#include "builder/common/compression.h"
#include "builder/common/debian_snapshot.h"
#include "builder/common/source_pos.h"
#include "builder/oci/oci_options.h"
#include "builder/tree/accounts.h"
#include "builder/tree/entries.h"

namespace kiln::recipe {

// Where a value came from, for error messages of later stages (builder/common/source_pos.h).
using kiln::SourcePos;

// [image] architecture (builder/common/architecture.h).
using kiln::Architecture;
using kiln::ArchitectureName;
using kiln::HostArchitecture;

// uid/gid given as numbers or as names resolved later in the image's /etc/passwd and /etc/group.
using tree::Owner;

struct ImageSection {
  std::string name;
  std::string version;
  Architecture architecture = Architecture::kX86_64;
  std::optional<std::int64_t> source_date_epoch;  // SOURCE_DATE_EPOCH (environment) wins
  bool operator==(const ImageSection&) const = default;
};

enum class BaseType { kScratch, kTarball, kDebian, kImage };

struct BaseSection {
  BaseType type = BaseType::kScratch;
  // tarball / image: a path (resolved against the recipe directory) or an URL, as written.
  std::string source;
  bool source_is_url = false;
  std::string sha256;  // lowercase hex, empty when not given
  // debian
  std::string suite = "bookworm";
  std::string variant = "minbase";
  std::vector<std::string> packages;
  std::vector<std::string> components = {"main"};
  std::string mirror = "http://deb.debian.org/debian";
  AptSettings apt;
  std::string snapshot;  // "YYYYMMDDTHHMMSSZ": packages from the archive as it was then; empty: none
  std::string snapshot_mirror = kDefaultSnapshotMirror;  // base URL of the snapshot service
  SourcePos pos;
  bool operator==(const BaseSection&) const = default;
};

struct OverlaySpec {
  std::filesystem::path source;  // absolute
  std::string target = "/";
  SourcePos pos;
  bool operator==(const OverlaySpec&) const = default;
};

// One [[file]], [[directory]] or [[symlink]] entry, kept in recipe order across the three: the
// tree stage's own type, so the recipe hands it over as parsed.
using tree::EntryKind;
using tree::EntrySpec;

// [root] compression (builder/common/compression.h).
using kiln::Compression;
using kiln::CompressionName;

struct RootSection {
  Compression compression = Compression::kZstd;
  std::optional<int> compression_level;  // per compressor range
  std::uint32_t block_size = 128 * 1024;  // power of two, 4K..1M
  bool operator==(const RootSection&) const = default;
};

// [output] formats, a closed set.
enum class OutputFormat { kSquashfs, kRaw, kQcow2, kVmdk, kVhd, kVhdx, kGce, kOva, kOci, kOciArchive, kTar };
// Every format in the order of the allowed list in errors and docs/recipe.md.
std::span<const OutputFormat> AllOutputFormats();
const char* OutputFormatName(OutputFormat f);  // "squashfs", "raw", ..., "oci-archive", "tar"
std::optional<OutputFormat> OutputFormatFromName(std::string_view name);

struct OutputSection {
  std::vector<OutputFormat> formats = {OutputFormat::kSquashfs};
  std::string vmdk_subformat = "monolithicSparse";  // monolithicSparse | streamOptimized
  bool operator==(const OutputSection&) const = default;
};

// The virtual hardware VM templates (the ova format) declare.
struct VmSection {
  unsigned cpus = 2;                // 1..128
  std::uint64_t memory = 2ULL << 30;  // bytes, whole MiB, 128 MiB..1 TiB
  bool operator==(const VmSection&) const = default;
};

struct DataSection {
  std::uint64_t size = 0;
  std::string filesystem = "ext4";
  std::string label = "data";
  std::string mountpoint = "/var";
  std::optional<std::filesystem::path> seed;  // absolute
  bool operator==(const DataSection&) const = default;
};

// The ESP size a [boot] loader gets when [disk] esp_size is not set: room for a few UKIs (a
// Debian kernel and generic initrd make about 50 MB) and FAT32, as UEFI asks.
inline constexpr std::uint64_t kDefaultEspSize = 512ull << 20;

struct DiskSection {
  std::optional<std::uint64_t> size;  // nullopt: auto
  std::uint64_t esp_size = 0;         // 0: no ESP (set to kDefaultEspSize at load when [boot] needs one)
  bool operator==(const DiskSection&) const = default;
};

struct SigningSection {
  std::string key;                    // path (absolute) or provider URI ("pkcs11:...")
  std::optional<std::filesystem::path> certificate;
  bool secure_boot = false;
  bool operator==(const SigningSection&) const = default;
};

// [container]: the OCI image config's runtime settings (the OCI stage's own type), and how
// layers are cut and compressed.
struct ContainerSection : oci::ContainerConfig {
  oci::LayerMode layers = oci::LayerMode::kSingle;                   // single | per-source
  oci::LayerCompression compression = oci::LayerCompression::kGzip;  // gzip | zstd
  bool operator==(const ContainerSection&) const = default;
};

// [boot] loader.
enum class BootLoader { kNone, kSystemdBoot };
const char* BootLoaderName(BootLoader b);  // "none", "systemd-boot"

struct BootSection {
  BootLoader loader = BootLoader::kNone;
  std::vector<std::string> kernel_cmdline;
  bool operator==(const BootSection&) const = default;
};

// [update]: A/B slots and the release channel the image's update agent follows
// (docs/updates.md).
struct UpdateSection {
  std::string channel;             // http:// or https:// URL of a directory, ends with '/'
  std::uint64_t slot_size = 0;     // bytes of each root slot partition, whole MiB
  unsigned tries = 3;              // boot attempts of a new version before falling back, 1..15
  std::vector<std::string> health;  // units that must succeed before a boot counts as good
  SourcePos pos;
  bool operator==(const UpdateSection&) const = default;
};

// [[user]] and [[group]] entries, as the tree stage takes them.
using tree::GroupSpec;
using tree::UserSpec;

struct Recipe {
  std::filesystem::path file;       // absolute path of the top-level recipe
  std::filesystem::path directory;  // its directory; relative paths resolve against the file that wrote them
  std::vector<std::filesystem::path> included;  // every file read, top-level last
  ImageSection image;
  BaseSection base;
  std::vector<OverlaySpec> overlays;
  std::vector<EntrySpec> entries;
  RootSection root;
  OutputSection output;
  VmSection vm;
  std::optional<DataSection> data;
  DiskSection disk;
  SigningSection signing;
  std::optional<ContainerSection> container;
  BootSection boot;
  std::optional<UpdateSection> update;
  std::vector<UserSpec> users;
  std::vector<GroupSpec> groups;
  std::vector<std::string> services_enable;
  SourcePos services_pos;  // [services].enable, for errors of the stage that enables them
  bool operator==(const Recipe&) const = default;
};

}  // namespace kiln::recipe
