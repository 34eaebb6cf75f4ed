// The index of an input archive (`kiln build --archive DIR`): DIR/index.json maps every input
// a build manifest records (kind, name, sha256) to content-addressed blobs in
// DIR/blobs/sha256/<hex>, like an OCI image layout. A file input is one blob; a directory input
// (overlay, data seed) is a tree of nodes whose files are blobs, so identical files are stored
// once. The JSON is canonical (entries sorted by kind then name, nodes by path, keys sorted, no
// times or host paths): the same inputs give the same bytes and the same index digest.
//
// The index is untrusted when read back (an archive may come from a registry): ParseIndex is
// bounded and never throws, checks every digest is 64 lowercase hex digits, every node path is
// confined (IsConfinedRelativePath) and every value has its type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "builder/common/result.h"

namespace kiln::input_archive {

inline constexpr const char* kMediaType = "application/vnd.kiln.input-archive.v1+json";
inline constexpr const char* kIndexFileName = "index.json";
inline constexpr std::uint64_t kMaxIndexBytes = 64ull << 20;

enum class NodeType { kFile, kDirectory, kSymlink };

// One entry of a directory input, relative to its root.
struct TreeNode {
  std::string path;
  NodeType type = NodeType::kFile;
  unsigned mode = 0;       // permission bits (files and directories)
  std::string blob;        // files: sha256 hex of the content
  std::uint64_t size = 0;  // files
  std::string target;      // symlinks
};

struct ArchiveEntry {
  std::string kind;    // the manifest input kind: recipe, file, overlay, data-seed, debian-lock,
                       // deb, tarball, image; apt-list for the apt indices a Debian base used
  std::string name;    // the manifest input uri (recipe-relative path, URL, package URL)
  std::string sha256;  // the manifest input digest
  bool is_tree = false;
  // Files:
  std::string blob;
  std::uint64_t size = 0;
  // Directories: the root's permission bits and every node below it.
  unsigned mode = 0;
  std::vector<TreeNode> tree;
};

struct ArchiveIndex {
  std::vector<ArchiveEntry> entries;
};

// Canonical JSON (sorts a copy of the entries and nodes).
std::string IndexToJson(const ArchiveIndex& index);

// Bounded, non-throwing parse of index.json (kInput naming what is wrong). Duplicate
// (kind, name) entries are refused.
Result<ArchiveIndex> ParseIndex(std::string_view json);

// The digest pipeline::DigestDirectory computes for a directory holding exactly these nodes.
std::string TreeDigest(const std::vector<TreeNode>& nodes);

// The entry for (kind, name), or null.
const ArchiveEntry* FindEntry(const ArchiveIndex& index, std::string_view kind, std::string_view name);

// Every distinct blob digest the index refers to, sorted.
std::vector<std::string> BlobsOf(const ArchiveIndex& index);

}  // namespace kiln::input_archive
