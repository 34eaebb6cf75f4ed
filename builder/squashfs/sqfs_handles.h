// RAII owners for libsquashfs objects (every sqfs_* handle the squashfs writer creates), so
// no raw handle outlives the statement that made it. Internal to builder/squashfs.
#pragma once

#include <cstdlib>
#include <memory>
#include <string>

#include <sqfs/block_processor.h>
#include <sqfs/block_writer.h>
#include <sqfs/compressor.h>
#include <sqfs/dir_writer.h>
#include <sqfs/error.h>
#include <sqfs/frag_table.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/meta_writer.h>
#include <sqfs/predef.h>
#include <sqfs/super.h>
#include <sqfs/xattr_writer.h>

namespace kiln::squashfs {

// Objects released through their sqfs_object_t destroy hook.
struct SqfsDestroy {
  void operator()(void* obj) const { sqfs_destroy(obj); }
};
template <typename T>
using SqfsPtr = std::unique_ptr<T, SqfsDestroy>;

// Memory handed out by the library (inodes from the block processor and dir writer).
struct SqfsFree {
  void operator()(void* p) const { sqfs_free(p); }
};
using LibInodePtr = std::unique_ptr<sqfs_inode_generic_t, SqfsFree>;

// Inodes kiln allocates itself (calloc'd so the variable payload follows the struct).
struct CFree {
  void operator()(void* p) const { std::free(p); }
};
using OwnInodePtr = std::unique_ptr<sqfs_inode_generic_t, CFree>;

// Text for a libsquashfs error code.
inline std::string SqfsErrorText(int code) {
  switch (code) {
    case SQFS_ERROR_ALLOC: return "out of memory";
    case SQFS_ERROR_IO: return "I/O error";
    case SQFS_ERROR_COMPRESSOR: return "compressor error";
    case SQFS_ERROR_INTERNAL: return "internal libsquashfs error";
    case SQFS_ERROR_CORRUPTED: return "corrupted data";
    case SQFS_ERROR_UNSUPPORTED: return "unsupported feature";
    case SQFS_ERROR_OVERFLOW: return "numeric overflow";
    case SQFS_ERROR_OUT_OF_BOUNDS: return "location out of bounds";
    case SQFS_ERROR_ARG_INVALID: return "invalid argument";
    default: return "libsquashfs error " + std::to_string(code);
  }
}

}  // namespace kiln::squashfs
