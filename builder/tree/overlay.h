// Copies a host directory (a recipe [[overlay]], usually part of a git checkout) into the tree
// at a target path. Only metadata is copied: file bytes stay in the host file and are read by
// the writers (FileContent::host_path).
//
// What is taken from the host, and why:
//  - permission bits (mode & 07777): git records the executable bit, so it is meaningful;
//  - owners are always 0:0: the builder's own uid means nothing in the image;
//  - mtimes, clamped to SOURCE_DATE_EPOCH (a checkout's mtimes are checkout times);
//  - symlinks as their text, never followed (an absolute target points into the image, not
//    at the host);
//  - no xattrs: host xattrs (SELinux labels, user.* from tools) describe the build machine.
// Directories already in the tree keep their metadata: a checkout's directory modes come from
// the umask of whoever cloned it, and must not change e.g. /etc from 0755; a directory new to
// the tree gets its host mode. Device nodes, fifos and sockets cannot be meaningfully kept in
// a source tree and are errors. Host hard links become independent files.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "builder/common/result.h"
#include "builder/tree/file_tree.h"

namespace kiln::tree {

// Adds dir's contents under `target` (an image path, "/" for the root), walking each host
// directory in byte order. Every node's origin is `origin`.
Status ImportDirectory(FileTree& tree, const std::filesystem::path& dir, std::string_view target,
                       const std::string& origin);

}  // namespace kiln::tree
