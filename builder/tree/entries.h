// Applies the recipe's [[file]], [[directory]] and [[symlink]] entries to the tree, in recipe
// order, after the base and the overlays. Owners given by name are looked up in the image's
// own /etc/passwd and /etc/group as they are at that entry (an earlier [[file]] may have
// written them), never the host's.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/common/source_pos.h"
#include "builder/tree/file_tree.h"

namespace kiln::tree {

// uid/gid given as numbers, or as names looked up in the image's /etc/passwd and /etc/group.
struct Owner {
  std::optional<std::uint32_t> uid, gid;
  std::string user, group;  // set when given by name
  bool operator==(const Owner&) const = default;
};

enum class EntryKind { kFile, kDirectory, kSymlink };

// One [[file]], [[directory]] or [[symlink]] entry (the pipeline makes them from the recipe).
struct EntrySpec {
  EntryKind kind = EntryKind::kFile;
  std::string path;
  std::optional<std::string> content;           // file: inline content
  std::optional<std::filesystem::path> source;  // file: host file (absolute)
  std::string target;                           // symlink
  std::optional<std::uint32_t> mode;            // defaults: file 0644, directory 0755
  Owner owner;                                  // default 0:0
  SourcePos pos;                                // errors start with it
  bool operator==(const EntrySpec&) const = default;
};

// Entry defaults: files 0644, directories 0755 (their metadata replaces an existing
// directory's, missing parents are created), symlinks 0777; owner 0:0; mtime = clamp time.
// A user given without a group takes the user's primary group from /etc/passwd.
// Like the importers, an entry replaces whatever is at its own path, except that a
// [[directory]] over a symlink to a directory keeps the link and sets the target's metadata.
// Errors name the entry as "file:line:column".
Status ApplyEntries(FileTree& tree, const std::vector<EntrySpec>& entries);

// The bytes of a (small) file's content: the inline string or the host file.
Result<std::string> ReadContent(const FileContent& content);

}  // namespace kiln::tree
