// The shape of the image before anything is written: every tree entry with its inode
// number, link count and directory children. SquashFS directory entries need the inode
// reference of each child, so all non-directory inodes are numbered (and later written)
// first, then directories children-before-parent, the root last; hard links share their
// target's inode. Internal to builder/squashfs.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "builder/common/result.h"
#include "builder/tree/file_tree.h"

namespace kiln::squashfs {

inline constexpr std::size_t kNoEntry = std::numeric_limits<std::size_t>::max();

struct PlanEntry {
  std::string path;                 // normalised tree path ("" for the root)
  std::string name;                 // base name ("" for the root)
  const tree::FileNode* node = nullptr;
  std::size_t parent = kNoEntry;
  std::size_t link_target = kNoEntry;  // kHardLink: the entry owning the inode
  std::uint32_t inode_number = 0;      // 1-based; a hard link carries its target's
  std::uint32_t nlink = 1;             // files: 1 + hard links; directories: 2 + subdirectories
  std::vector<std::size_t> children;   // directories: entries in byte order of their names
  std::size_t file_index = kNoEntry;   // regular files: position in InodePlan::files
};

struct InodePlan {
  std::vector<PlanEntry> entries;       // entries[0] is the root
  std::vector<std::size_t> non_dirs;    // inode-owning non-directories, in inode number order
  std::vector<std::size_t> files;       // regular files, in the order their data is written
  std::vector<std::size_t> dirs;        // directories, children before parents, root last
  std::uint32_t inode_count = 0;
};

// Plans the image for a validated tree. Fails, naming the path, on what SquashFS cannot
// store: xattrs outside the user./trusted./security. namespaces, device numbers beyond
// 12-bit major / 20-bit minor, more than 2^32-2 inodes.
Result<InodePlan> PlanInodes(const tree::FileTree& tree);

// The squashfs (Linux new_encode_dev) device number.
std::uint32_t EncodeDevice(std::uint32_t major, std::uint32_t minor);

}  // namespace kiln::squashfs
