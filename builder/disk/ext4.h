// The data partition's ext4 file system, made rootless with mke2fs (-d for the optional
// seed directory) straight into the disk image at the partition's offset, so nothing is
// copied. Deterministic: UUID and directory hash seed come from the build seed, the feature
// set is pinned by a mke2fs.conf shipped here (the host's /etc/mke2fs.conf is ignored), and
// every inode's times and owner are rewritten after population (mke2fs -d copies the host's
// atime, ctime and uid/gid). The pipeline calls MakeExt4 for [data].
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "builder/common/result.h"
#include "builder/common/uuid.h"

namespace kiln::disk {

struct Ext4Spec {
  std::filesystem::path image;   // created or extended to offset + size when smaller
  std::uint64_t offset = 0;      // bytes, a multiple of 4096
  std::uint64_t size = 0;        // bytes, a multiple of 4096, at least 1 MiB
  std::string label;             // at most 16 bytes
  Uuid uuid;                     // file-system UUID (FilesystemUuid of the partition)
  Uuid hash_seed;                // htree directory hash seed
  std::optional<std::filesystem::path> seed_dir;  // initial content, copied with mke2fs -d
  std::int64_t source_date_epoch = 0;
  std::string last_mounted;      // mountpoint recorded in the superblock (mke2fs -M), may be empty
  bool operator==(const Ext4Spec&) const = default;
};

// Makes the file system. Afterwards: the root directory is 0755 and every inode is owned
// by 0:0; mtimes are clamped to source_date_epoch and atime, ctime and crtime equal it
// (nanoseconds zero); lost+found exists. Host xattrs of seed files are copied as mke2fs does.
Status MakeExt4(const Ext4Spec& spec);

// The mke2fs.conf kiln runs mke2fs with (exposed for docs and tests).
const char* Ext4MkfsConfig();

}  // namespace kiln::disk
