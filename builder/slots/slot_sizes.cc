#include "builder/slots/slot_sizes.h"

#include <string>

#include "builder/verity/verity_format.h"

namespace kiln::slots {

Result<std::uint64_t> VerityPartitionSize(std::uint64_t slot_size) {
  if (slot_size == 0 || slot_size % kSlotSizeGrain != 0)
    return MakeError(ErrorCode::kBuild, "slot size " + std::to_string(slot_size) +
                                            " bytes is not a positive multiple of 4096");
  return verity::ComputeGeometry(slot_size / verity::kBlockSize).DeviceSize();
}

}  // namespace kiln::slots
