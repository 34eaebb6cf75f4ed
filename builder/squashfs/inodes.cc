#include "builder/squashfs/inodes.h"

#include <cstdlib>
#include <cstring>
#include <limits>

namespace kiln::squashfs {

std::uint32_t ClampTime(std::int64_t t) {
  if (t < 0) return 0;
  if (t > std::numeric_limits<std::uint32_t>::max()) return std::numeric_limits<std::uint32_t>::max();
  return static_cast<std::uint32_t>(t);
}

std::uint16_t InodeMode(const tree::FileNode& node) {
  std::uint16_t type = 0;
  switch (node.type) {
    case tree::NodeType::kFile:
    case tree::NodeType::kHardLink: type = SQFS_INODE_MODE_REG; break;
    case tree::NodeType::kDirectory: type = SQFS_INODE_MODE_DIR; break;
    case tree::NodeType::kSymlink: type = SQFS_INODE_MODE_LNK; break;
    case tree::NodeType::kCharDevice: type = SQFS_INODE_MODE_CHR; break;
    case tree::NodeType::kBlockDevice: type = SQFS_INODE_MODE_BLK; break;
    case tree::NodeType::kFifo: type = SQFS_INODE_MODE_FIFO; break;
    case tree::NodeType::kSocket: type = SQFS_INODE_MODE_SOCK; break;
  }
  return static_cast<std::uint16_t>(type | (node.mode & 07777));
}

Status SetInodeBase(sqfs_inode_generic_t* inode, const PlanEntry& entry, sqfs_id_table_t* ids) {
  const tree::FileNode& node = *entry.node;
  inode->base.mode = InodeMode(node);
  inode->base.mod_time = ClampTime(node.mtime);
  inode->base.inode_number = entry.inode_number;
  if (sqfs_id_table_id_to_index(ids, node.uid, &inode->base.uid_idx) != 0 ||
      sqfs_id_table_id_to_index(ids, node.gid, &inode->base.gid_idx) != 0)
    return MakeError(ErrorCode::kInput, "'/" + entry.path +
                                            "': too many distinct uids and gids for squashfs");
  return OkStatus();
}

Result<OwnInodePtr> MakeSpecialInode(const PlanEntry& entry) {
  const tree::FileNode& node = *entry.node;
  std::size_t payload = node.type == tree::NodeType::kSymlink ? node.target.size() : 0;
  OwnInodePtr inode(
      static_cast<sqfs_inode_generic_t*>(std::calloc(1, sizeof(sqfs_inode_generic_t) + payload)));
  if (!inode) return MakeError(ErrorCode::kBuild, "out of memory");
  switch (node.type) {
    case tree::NodeType::kSymlink:
      inode->base.type = SQFS_INODE_SLINK;
      inode->data.slink.nlink = 1;
      inode->data.slink.target_size = static_cast<sqfs_u32>(payload);
      inode->payload_bytes_available = static_cast<sqfs_u32>(payload);
      inode->payload_bytes_used = static_cast<sqfs_u32>(payload);
      std::memcpy(inode->extra, node.target.data(), payload);
      break;
    case tree::NodeType::kCharDevice:
    case tree::NodeType::kBlockDevice:
      inode->base.type =
          node.type == tree::NodeType::kCharDevice ? SQFS_INODE_CDEV : SQFS_INODE_BDEV;
      inode->data.dev.nlink = 1;
      inode->data.dev.devno = EncodeDevice(node.rdev_major, node.rdev_minor);
      break;
    case tree::NodeType::kFifo:
    case tree::NodeType::kSocket:
      inode->base.type = node.type == tree::NodeType::kFifo ? SQFS_INODE_FIFO : SQFS_INODE_SOCKET;
      inode->data.ipc.nlink = 1;
      break;
    default:
      return MakeError(ErrorCode::kBuild, "'/" + entry.path + "' is not a special file");
  }
  return inode;
}

Status SetLinksAndXattrs(sqfs_inode_generic_t* inode, std::uint32_t nlink, std::uint32_t xattr) {
  // Basic inodes carry no link count (regular files) and no xattr index: promote as needed.
  // Order matters: set_xattr_index(0xFFFFFFFF) would demote an extended inode again.
  if (xattr != kNoXattr && sqfs_inode_set_xattr_index(inode, xattr) != 0)
    return MakeError(ErrorCode::kBuild, "cannot set an xattr index on an inode");
  if (nlink > 1) {
    if (sqfs_inode_make_extended(inode) != 0)
      return MakeError(ErrorCode::kBuild, "cannot make an extended inode");
    switch (inode->base.type) {
      case SQFS_INODE_EXT_FILE: inode->data.file_ext.nlink = nlink; break;
      case SQFS_INODE_EXT_SLINK: inode->data.slink_ext.nlink = nlink; break;
      case SQFS_INODE_EXT_BDEV:
      case SQFS_INODE_EXT_CDEV: inode->data.dev_ext.nlink = nlink; break;
      case SQFS_INODE_EXT_FIFO:
      case SQFS_INODE_EXT_SOCKET: inode->data.ipc_ext.nlink = nlink; break;
      default: return MakeError(ErrorCode::kBuild, "unexpected inode type for a link count");
    }
  }
  return OkStatus();
}

}  // namespace kiln::squashfs
