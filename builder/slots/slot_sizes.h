// Partition sizes of an A/B slot (docs/updates.md): every slot's root partition is exactly
// slot_size bytes, so any later version whose root fits slot_size can be written into either
// slot; the verity partition is sized for a hash tree over all of slot_size, and the
// signature partition is 16 KiB.
#pragma once

#include <cstdint>

#include "builder/common/result.h"

namespace kiln::slots {

inline constexpr std::uint64_t kSignaturePartitionSize = 16 * 1024;
inline constexpr std::uint64_t kSlotSizeGrain = 4096;  // verity data blocks

// Bytes of the dm-verity hash device (4 KiB blocks, sha256, superblock block) for a data
// device of slot_size bytes. Fails with kBuild when slot_size is zero or not a multiple of
// 4096.
Result<std::uint64_t> VerityPartitionSize(std::uint64_t slot_size);

}  // namespace kiln::slots
