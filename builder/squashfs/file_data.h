// Streams one regular file's bytes (a host file or a recipe's inline text) into the
// libsquashfs block processor in block-size chunks, never holding the whole file.
// Internal to builder/squashfs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <sqfs/block_processor.h>

#include "builder/common/progress_throttle.h"
#include "builder/common/result.h"
#include "builder/tree/file_tree.h"

namespace kiln::squashfs {

// Appends the content of the file at image path `path` to the file the processor has open.
// A host file whose size differs from content.size (changed since it was scanned) is an
// error. `buffer` is scratch space reused across files. Every chunk appended is added to
// `progress`. Returns the bytes appended.
Result<std::uint64_t> AppendFileData(sqfs_block_processor_t* proc, const std::string& path,
                                     const tree::FileContent& content,
                                     std::vector<std::uint8_t>& buffer, ProgressThrottle& progress);

}  // namespace kiln::squashfs
