// The two slots of an A/B disk as found in its GPT (docs/updates.md, "Disk layout"). A slot
// is a root, a root-verity and a root-verity-sig partition of the image's architecture;
// slot A is the first partition of each of the three types in table order, slot B the
// second. The update agent reads the table of the boot disk with disk::ReadGpt and uses
// these functions to find the inactive slot and to relabel it; the build labels slot A.
// Tables come from disks and are untrusted: every check fails with a message, never aborts.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "builder/common/architecture.h"
#include "builder/common/result.h"
#include "builder/common/sha256.h"
#include "builder/disk/gpt.h"

namespace kiln::slots {

enum class SlotName { kA, kB };
const char* SlotNameText(SlotName slot);  // "A", "B"

// Indices into DiskLayout::partitions.
struct SlotPartitions {
  std::size_t root = 0;
  std::size_t verity = 0;
  std::size_t signature = 0;
  bool operator==(const SlotPartitions&) const = default;
};

struct SlotTable {
  SlotPartitions a;
  SlotPartitions b;
  const SlotPartitions& operator[](SlotName slot) const { return slot == SlotName::kA ? a : b; }
  bool operator==(const SlotTable&) const = default;
};

// Finds exactly two root/verity/signature triples of `arch`. Fails with kInput when a type
// does not occur exactly twice, or when the two slots' partitions of a type differ in size
// (a version written into one slot must fit the other).
Result<SlotTable> FindSlots(const disk::DiskLayout& layout, Architecture arch);

// What a slot holds according to its labels.
struct SlotContent {
  bool empty = false;     // all three labels are "_empty"
  std::string version;    // set when all three labels are IMAGE_VERSION[...] for one version
};
// A slot whose labels are neither all "_empty" nor one version of `image` (a half-written
// slot, another image's) has neither set.
SlotContent DescribeSlot(const disk::DiskLayout& layout, const SlotPartitions& slot,
                         std::string_view image);

// The slot whose root partition UUID is the first half of root_hash (the running slot when
// root_hash comes from the kernel command line), nullopt when none.
std::optional<SlotName> FindSlotOfRootHash(const disk::DiskLayout& layout, const SlotTable& table,
                                           const Digest& root_hash);

// Labels a slot's partitions for `version` and gives them the UUIDs of root_hash: root the
// first half, verity the last half, signature SignaturePartitionUuid(root_hash); clears their
// no-auto attribute (bit 63).
void SetSlotVersion(disk::DiskLayout& layout, const SlotPartitions& slot, std::string_view image,
                    std::string_view version, const Digest& root_hash);

// Labels a slot's partitions "_empty" and sets their no-auto attribute (bit 63), as
// systemd-repart's Format=empty does: systemd-dissect and the gpt-auto generator pick among
// root partitions by the version in their labels, with '_' ignored, so without it "_empty"
// would count as a version ("empty") newer than e.g. "appliance_1.0". UUIDs are left as they are.
void SetSlotEmpty(disk::DiskLayout& layout, const SlotPartitions& slot);

}  // namespace kiln::slots
