// Applies the recipe's [[file]], [[directory]] and [[symlink]] entries to the tree, in recipe
// order, after the base and the overlays. Owners given by name are looked up in the image's
// own /etc/passwd and /etc/group as they are at that entry (an earlier [[file]] may have
// written them), never the host's.
#pragma once

#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/recipe/recipe.h"
#include "builder/tree/file_tree.h"

namespace kiln::tree {

// Entry defaults: files 0644, directories 0755 (their metadata replaces an existing
// directory's, missing parents are created), symlinks 0777; owner 0:0; mtime = clamp time.
// A user given without a group takes the user's primary group from /etc/passwd.
// Like the importers, an entry replaces whatever is at its own path, except that a
// [[directory]] over a symlink to a directory keeps the link and sets the target's metadata.
// Errors name the entry as "file:line:column".
Status ApplyEntries(FileTree& tree, const std::vector<recipe::EntrySpec>& entries);

// The bytes of a (small) file's content: the inline string or the host file.
Result<std::string> ReadContent(const FileContent& content);

}  // namespace kiln::tree
