// Fills libsquashfs inode structures from tree nodes: type and permission bits, owner
// indices, clamped times, link counts, device numbers, symlink targets and xattr indices.
// Internal to builder/squashfs.
#pragma once

#include <cstdint>

#include <sqfs/id_table.h>
#include <sqfs/inode.h>

#include "builder/common/result.h"
#include "builder/squashfs/inode_plan.h"
#include "builder/squashfs/sqfs_handles.h"

namespace kiln::squashfs {

inline constexpr std::uint32_t kNoXattr = 0xffffffffu;

// SquashFS stores unsigned 32-bit seconds: earlier times become 0, later ones 2^32-1.
std::uint32_t ClampTime(std::int64_t t);
// Type bits | permission bits (incl. setuid/setgid/sticky) for a tree node.
std::uint16_t InodeMode(const tree::FileNode& node);

// Sets mode, owner indices, mtime and inode number.
Status SetInodeBase(sqfs_inode_generic_t* inode, const PlanEntry& entry, sqfs_id_table_t* ids);

// A new inode for a symlink, device, fifo or socket entry (nlink 1).
Result<OwnInodePtr> MakeSpecialInode(const PlanEntry& entry);

// Applies the link count (extended inode when > 1) and xattr index (extended when set)
// to a non-directory inode.
Status SetLinksAndXattrs(sqfs_inode_generic_t* inode, std::uint32_t nlink, std::uint32_t xattr);

}  // namespace kiln::squashfs
