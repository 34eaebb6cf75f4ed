// Files kiln itself adds to an image's root (boot and update configuration), marked with the
// origin "boot" in the tree so SBOMs and `kiln diff` tell them from package files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "builder/common/result.h"
#include "builder/tree/file_tree.h"

namespace kiln::bootloader {

// A regular file with inline contents; replaces whatever is at path.
Status PutFile(tree::FileTree& tree, const std::string& path, std::string contents, std::uint32_t mode);
// A regular file whose bytes are the host file `source` (read when the root is written).
Status PutHostFile(tree::FileTree& tree, const std::string& path, const std::filesystem::path& source,
                   std::uint32_t mode);
Status PutSymlink(tree::FileTree& tree, const std::string& path, const std::string& target);
Status PutDirectory(tree::FileTree& tree, const std::string& path, std::uint32_t mode);

}  // namespace kiln::bootloader
