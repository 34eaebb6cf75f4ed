// The index of a release channel (docs/updates.md, "Channel format"): which versions of one
// image the channel holds and, for each, the files an update writes, with sizes and digests.
// Written by `kiln publish`, read by `kiln publish` (the channel's current index) and by the
// update agent (kiln-update) from a web server: the reader treats the text as hostile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "builder/common/result.h"

namespace kiln::channel {

inline constexpr std::string_view kIndexSchema = "kiln.channel.v1";
// The signed index is the one mutable file of a channel, replaced by one rename.
inline constexpr std::string_view kIndexFileName = "index.p7s";
inline constexpr std::size_t kMaxIndexSize = 1024 * 1024;  // of the JSON
inline constexpr std::size_t kMaxVersions = 64;
inline constexpr std::size_t kMaxNameLength = 200;  // image, architecture, version, file names

inline constexpr std::string_view kCompressionNone = "none";
inline constexpr std::string_view kCompressionZstd = "zstd";

// One file as served: its plain file name in the channel directory, size and sha256 (hex).
struct ChannelFile {
  std::string path;
  std::uint64_t size = 0;
  std::string sha256;
  bool operator==(const ChannelFile&) const = default;
};

// The root payload may be compressed; content_* describe the bytes written to the slot
// (the squashfs), equal to size/sha256 when compression is "none".
struct RootFile : ChannelFile {
  std::string compression = std::string(kCompressionNone);
  std::uint64_t content_size = 0;
  std::string content_sha256;
  bool operator==(const RootFile&) const = default;
};

struct ChannelVersion {
  std::string version;
  std::string root_hash;        // 64 hex: dm-verity root hash of the root
  std::string manifest_sha256;  // of the build's signed manifest
  std::uint64_t slot_size = 0;  // size of a root slot partition the version was built for
  RootFile root;
  ChannelFile verity;     // dm-verity hash tree (the verity partition's content)
  ChannelFile signature;  // the verity-sig partition's JSON
  ChannelFile uki;        // the unified kernel image
  bool operator==(const ChannelVersion&) const = default;
};

struct ChannelIndex {
  std::string image;
  std::string architecture;
  std::vector<ChannelVersion> versions;  // oldest first, by CompareVersions, no two equal
  bool operator==(const ChannelIndex&) const = default;

  // The newest version, or nullptr when there is none.
  const ChannelVersion* Newest() const { return versions.empty() ? nullptr : &versions.back(); }
};

// Compact JSON with sorted keys: the same index gives the same bytes. Fails (kInput) when the
// index would not pass ParseIndex, so kiln never publishes an index its readers refuse.
Result<std::string> WriteIndexJson(const ChannelIndex& index);

// Parses and validates index JSON (at most kMaxIndexSize bytes, kMaxVersions versions, every
// key known and of its type, sizes positive, names within their character sets, paths plain
// file names unique in the index, versions strictly increasing). Never throws; kInput errors.
Result<ChannelIndex> ParseIndex(std::string_view json);

// Whether name may be a channel file name: 1..kMaxNameLength of [A-Za-z0-9._+~-], not "." or
// "..", not starting with '.' (no hidden or temporary files), not kIndexFileName.
bool IsValidChannelFileName(std::string_view name);

// Every file a version references (root, verity, signature, UKI).
std::vector<const ChannelFile*> FilesOf(const ChannelVersion& version);

}  // namespace kiln::channel
