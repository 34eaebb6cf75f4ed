// Maps kiln's compression settings onto a libsquashfs compressor (and the matching
// decompressor the block processor uses to compare fragments during deduplication).
// Internal to builder/squashfs.
#pragma once

#include <sqfs/compressor.h>

#include "builder/common/result.h"
#include "builder/squashfs/sqfs_handles.h"
#include "builder/squashfs/squashfs.h"

namespace kiln::squashfs {

struct Compressors {
  SQFS_COMPRESSOR id = SQFS_COMP_ZSTD;
  SqfsPtr<sqfs_compressor_t> compress;
  SqfsPtr<sqfs_compressor_t> uncompress;
};

// Validates the level and block size and creates both compressors.
Result<Compressors> MakeCompressors(const SquashfsOptions& opts);

}  // namespace kiln::squashfs
